<?php
// Alcatel-Lucent IP Touch (SIP) provider.
//
// /sipconfig.txt        the global file: everything we set is per phone -> not found
// /sipconfig-<MAC>.txt  the phone's file; the model comes from the HTTP User-Agent
//                       ("Alcatel IP Touch 4018/2.01.10"), over TFTP we cannot tell
//                       4008 from 4018 and keep the generic type (both have one line).

if ($PATH === '/sipconfig.txt') {
    sendNotFound();
}

if (preg_match('~^/sipconfig-([0-9a-f]{12})\.txt$~i', $PATH, $m)) {
    $type = 'iptouch_generic';
    if (preg_match('~^Alcatel IP Touch ([0-9]{4})~', $USER_AGENT, $ua)
            && isset($PHONE_TYPES['iptouch_' . $ua[1] . 'ee'])) {
        $type = 'iptouch_' . $ua[1] . 'ee';
    }
    associatePhone($m[1], $type);
    sendTemplate('sipconfig');
}

passNext();
