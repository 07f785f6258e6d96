<?php
$parts = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    $parts[] = $max < 0 ? "$prefix.*" : $prefix . str_repeat('.', $max);
}
echo implode('|', $parts);
