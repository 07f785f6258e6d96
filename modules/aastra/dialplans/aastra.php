<?php
// Aastra "sip dial plan" (Administrator Guide, "SIP Local Dial Plan Settings"): patterns
// separated by '|', 'X' any digit, '+' zero or more of the preceding digit or [] set; the
// value is quoted in the configuration file (the template adds the quotes).  An extension
// dials when complete; an outside-line prefix ("any digits follow") matches 'P X+' and
// dials on the dial-plan timeout or the '#' terminator.
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $items[] = $max < 0 ? $prefix . 'X+' : $prefix . str_repeat('X', $max);
}
echo implode('|', $items);
