<?php
// Yealink digit map (Administrator Guide, "Digit Map"): MGCP-style patterns joined by
// '|' inside [ ]: 'x' any digit, 'x.' any number of digits.
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $items[] = $max < 0 ? $prefix . 'x.' : $prefix . str_repeat('x', $max);
}
echo '[' . implode('|', $items) . ']';
