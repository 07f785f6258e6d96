<?php
// VTech dial plan (Administrator Manual, "Dial plan": sip_account.N.dial_plan): rules
// separated by '|', 'x' any digit, '+' repeats the previous element one or more times,
// a trailing 'P' dials on the inter-digit timeout.  A PBX extension dials as soon as its
// last digit is typed; an outside prefix waits until the caller stops typing.
$rules = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $rules[] = $max < 0 ? $prefix . 'x+P' : $prefix . str_repeat('x', $max);
}
echo implode('|', $rules);
