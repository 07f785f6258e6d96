<?php
// Htek dial plan (P4200 + account - 1, "AccountN.DialPlan"): the Grandstream-style rule
// the phones share, "{ rule | rule }": 'x' any digit, '+' one or more of the previous
// element.  An extension matches exactly; an outside-line prefix takes any digits.
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $items[] = $max < 0 ? $prefix . 'x+' : $prefix . str_repeat('x', $max);
}
echo '{' . implode('|', $items) . '}';
