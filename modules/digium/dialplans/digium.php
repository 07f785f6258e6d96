<?php
// Digium/Sangoma dial plan (account attribute "dial_plan"; Sangoma "Dial Plans": digit
// maps separated by '|', 'x' any digit, '[...]' a class, '.' repeats, a trailing 'T'
// dials when the timer (4 s by default) expires).
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $items[] = $max < 0 ? $prefix . 'x.T' : $prefix . str_repeat('x', $max);
}
echo implode('|', $items);
