<?php
// SmartNode called-number patterns (Software Configuration Guide, "Call Router",
// routing-table patterns): '.' any one digit, '%' repeats the previous element,
// 'T' the inter-digit timeout.  One route per entry, space-separated; an extension
// routes once its last digit is dialled, an outside prefix after the timeout.
$routes = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $routes[] = $max < 0 ? $prefix . '.%T' : $prefix . str_repeat('.', $max);
}
echo implode(' ', $routes);
