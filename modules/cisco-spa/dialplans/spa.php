<?php
// SPA dial plan syntax (Provisioning Guide, "Dial Plan"): alternatives in ( | ),
// 'x' is any digit, a trailing '.' repeats the previous element.  One-digit precision
// keeps it short enough for every firmware.
$items = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    if ($max < 0) {
        $items[] = $prefix . 'x.';
    } else {
        $items[] = $prefix . str_repeat('x', $max);
    }
}
echo '(' . implode('|', $items) . ')';
