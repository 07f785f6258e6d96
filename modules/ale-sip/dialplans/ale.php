<?php
// ALE digit map ("AccountNDigitMap"): alternatives separated by '|', 'x' any digit,
// '.' repeats the previous element, 'T' ends the number on the inter-digit timer (the
// RFC 3435 style the Myriad administrator guide describes for its digit map).
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $items[] = $max < 0 ? $prefix . 'x.T' : $prefix . str_repeat('x', $max);
}
echo implode('|', $items);
