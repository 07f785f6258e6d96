<?php
// Flyingvoice digit map (Yealink-compatible account.N.dialplan.digitmap.string): RFC 3435
// style, alternatives separated by '|', 'x' any digit, '.' repeats, 'T' dials on the
// inter-digit timer.  Extensions dial on their last digit, outside prefixes on the timer.
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $items[] = $max < 0 ? $prefix . 'x.T' : $prefix . str_repeat('x', $max);
}
echo implode('|', $items);
