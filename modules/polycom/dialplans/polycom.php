<?php
// Polycom digit map (Administrator Guide, "dialplan.digitmap"): MGCP-style, alternatives
// separated by '|': 'x' any digit, 'x.' any number of digits, 'T' ends on the timeout.
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $items[] = $max < 0 ? $prefix . 'xxx.T' : $prefix . str_repeat('x', $max);
}
echo implode('|', $items);
