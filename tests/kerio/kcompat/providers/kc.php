<?php
// P context: request variables, module globals, Kerio's names and provhost's aliases.
if (preg_match('~^/kc/([0-9a-f]{12})\.json$~', $PATH, $m)) {
    associatePhone($m[1], 'kc');
    $count = isset($kc_count) ? $kc_count + 1 : 1;
    setModuleVar('kc_count', $count);
    $http = array();
    $opt = array();
    foreach ($GLOBALS as $name => $value) {
        if (strncmp($name, 'HTTP_', 5) === 0) { $http[$name] = $value; }
        if (strncmp($name, 'OPT_', 4) === 0) { $opt[$name] = $value; }
    }
    ksort($http);
    ksort($opt);
    sendTemplate('dump');
}
if (preg_match('~^/kc/([0-9a-f]{12})\.cfg$~', $PATH, $m)) {
    associatePhone($m[1], 'kc');
    sendTemplate('cfg');
}
if (preg_match('~^/kc/port/([0-9]+)$~', $PATH, $m)) {
    setModuleVar('kc_udp_port', (int)$m[1]);
    sendOk();
}
if ($PATH === '/kc/big') {
    setModuleVar('big', str_repeat('x', 70000));  // past the bound: the host refuses
}
if ($PATH === '/kc/old.txt') {
    // an old-style module: PHP 5 functions and Kerio's pre-2.2.2 dialplan call
    $pairs = array();
    $arr = array('a' => 1, 'b' => 2);
    while (list($k, $v) = each($arr)) { $pairs[] = "$k=$v"; }
    $words = split(',', 'x,y,z');
    $double = create_function('$n', 'return $n * 2;');
    $matched = eregi('^yea(link)', 'Yealink SIP-T46G', $regs) ? $regs[1] : 'none';
    $old = implode(' ', $pairs) . ' ' . implode('', $words) . ' ' . $double(21) . ' ' . $matched;
    sendTemplate('old');
}
