<?php
// OBi digit map (Device Administration Guide, "Digit Map Configuration"): rules in
// parentheses separated by '|', 'x' any digit, 'x.' any number of further digits; a rule
// matched completely is dialled at once, a variable one after the inter-digit timer.
$rules = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $rules[] = $max < 0 ? $prefix . 'x.' : $prefix . str_repeat('x', $max);
}
echo '(' . implode('|', $rules) . ')';
