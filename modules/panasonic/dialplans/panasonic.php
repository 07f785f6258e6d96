<?php
// Panasonic dial plan (Administrator Guide, "DIAL_PLAN_n": a digit map of alternatives
// separated by '|'; 'x' any digit, '[..]' a digit set, '.' repeats the previous element,
// 'T' sends the number when the inter-digit timer expires).  A PBX extension is sent when
// its last digit is typed; an outside prefix sends when the caller stops typing.
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $items[] = $max < 0 ? $prefix . 'x.T' : $prefix . str_repeat('x', $max);
}
echo implode('|', $items);
