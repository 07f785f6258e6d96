<?php
// 400HD digit map (voip/signalling/sip/digit_map; Administrator's Manual, "Digit Map"):
// MGCP-style patterns separated by '|', 'x' any digit, '.' repeats the previous element,
// 'T' completes the number when the inter-digit timer expires.  Extensions dial on their
// last digit, outside prefixes when the caller stops typing.
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $items[] = $max < 0 ? $prefix . 'x.T' : $prefix . str_repeat('x', $max);
}
echo implode('|', $items);
