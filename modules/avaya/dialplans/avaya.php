<?php
// Avaya DIALPLAN (settings file parameter): patterns separated by '|', 'x' any digit;
// a number that matches dials at once.  Numbers of any length (outside-line prefixes)
// have no pattern: the phone dials them when the inter-digit timeout expires.
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    if ($max >= 0) {
        $items[] = $prefix . str_repeat('x', $max);
    }
}
echo implode('|', $items);
