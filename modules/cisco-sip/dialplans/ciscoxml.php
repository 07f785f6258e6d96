<?php
// Cisco SIP dial template (Administration Guide for SIP, "Dial Plan": dialplan.xml):
// <TEMPLATE MATCH="..." Timeout="s"/>, '.' one digit, '*' any number of digits; a match
// with Timeout="0" dials at once, the others after the timeout.
$rules = array();
foreach (dialplanSimplifyOnedigit($DIALPLAN_DATA) as $item) {
    list($prefix, $max) = $item;
    if ($max < 0) {
        $rules[] = '  <TEMPLATE MATCH="' . $prefix . '*" Timeout="5" User="Phone"/>';
    } else {
        $rules[] = '  <TEMPLATE MATCH="' . $prefix . str_repeat('.', $max) . '" Timeout="0" User="Phone"/>';
    }
}
$rules[] = '  <TEMPLATE MATCH="*" Timeout="5"/>';
echo "<DIALTEMPLATE>\n" . implode("\n", $rules) . "\n</DIALTEMPLATE>\n";
