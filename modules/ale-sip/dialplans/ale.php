<?php
// ALE digit map ("AccountXDigitMap", ALE Halo/Myriad administrator guides, "Digit Map
// Configuration"): patterns separated by '|', 'x' any digit, '[...]' a digit set.  A
// number that matches a pattern dials at once; numbers of any length (outside-line
// prefixes) have no pattern and dial on "AccountXDigitMapTimer" or the send key.
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    if ($max >= 0) {
        $items[] = $prefix . str_repeat('x', $max);
    }
}
echo implode('|', $items);
