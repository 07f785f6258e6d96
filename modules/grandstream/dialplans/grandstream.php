<?php
// Grandstream dial plan (P290; administration guides, "Dial Plan"): the rules sit in
// braces, separated by '|'; 'x' is any digit, '+' repeats the previous element one or
// more times, '\+' is a literal plus.  The factory plan is { x+ | \+x+ | *x+ | *xx*x+ }.
// An extension (a fixed number of digits) dials as soon as it is complete; a prefix for
// outside numbers ("any number of digits follow") dials on the no-key-entry timeout.
// A '*' or '#' prefix character is written as itself (both are literal in the syntax).
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $items[] = $max < 0 ? $prefix . 'x+' : $prefix . str_repeat('x', $max);
}
echo '{ ' . implode(' | ', $items) . ' }';
