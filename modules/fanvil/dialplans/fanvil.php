<?php
// Fanvil digit map (Fanvil phone user manuals, "Dial Plan" / "Digital Map Configuration"):
// one rule per line of the digit-map table; 'x' any digit, '[..]' a range, '.' any number
// of digits, "Tn" (last two characters) sends after n seconds without a key.  A PBX
// extension is sent when complete; an outside prefix after 4 quiet seconds.
$rules = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $rules[] = $max < 0 ? $prefix . 'x.T4' : $prefix . str_repeat('x', $max);
}
echo implode("\n", $rules);
