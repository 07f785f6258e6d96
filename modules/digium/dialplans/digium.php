<?php
// Digium/Sangoma dial plan (account attribute "dial_plan", "Dial Plans"): digit-map
// alternatives separated by '|', 'x' any digit, '.' repeats the previous element, 'T'
// dials on the inter-digit timeout.
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $items[] = $max < 0 ? $prefix . 'x.T' : $prefix . str_repeat('x', $max);
}
echo implode('|', $items);
