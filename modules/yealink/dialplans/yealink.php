<?php
// Yealink digit map (Administrator Guide for SIP-T2/T4 Series, "Dial Plan Defined by
// Digit Map"): an RFC 3435 (MGCP) digit map, alternatives separated by '|', 'x' any
// digit, '.' repeats the previous element zero or more times, 'T' completes the match
// when the inter-digit timer expires.  No enclosing brackets: '[...]' is a digit set.
// A PBX extension dials as soon as its last digit is typed; a prefix for outside
// numbers ("any number of digits follow") dials when the caller stops typing.
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $items[] = $max < 0 ? $prefix . 'x.T' : $prefix . str_repeat('x', $max);
}
echo implode('|', $items);
