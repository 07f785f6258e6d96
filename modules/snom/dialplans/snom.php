<?php
// Snom dial plan (Snom Service wiki, "Dial Plan - Regular Expressions"): entries separated
// by blanks, each "!pattern!replacement!flags"; \1 is the first group, \d the registrar's
// domain; flag "d" means the number is complete and is dialled at once.  An extension of
// known length dials as soon as its last digit is typed; a prefix for outside numbers
// ("any number of digits follow") matches without "d", so the phone waits for the
// inter-digit timeout or the dial key.  The plan is written per identity (user_dp_str).
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $p = $prefix === '*' ? '\\*' : $prefix;
    if ($max < 0) {
        $items[] = '!^(' . $p . '[0-9]*)$!sip:\\1@\\d!';
    } else {
        $items[] = '!^(' . $p . ($max > 0 ? '[0-9]{' . $max . '}' : '') . ')$!sip:\\1@\\d!d';
    }
}
echo implode(' ', $items);
