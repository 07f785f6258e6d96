<?php
// Avaya 46xxsettings.txt family provider.
//
// /J100Supgrade.txt, /96x1Supgrade.txt  the upgrade file: remember the family (marker)
//                    and answer with the one line that sends the phone to the settings
//                    file (no firmware from us).
// /46xxsettings.txt  the settings every phone shares (server, time, dial plan), ending
//                    with GET $MACADDR.txt.
// /<MAC>.txt         the phone's own settings.  The name is not Avaya's alone, so it is
//                    ours only after the upgrade file or settings file was fetched from
//                    the same address (marker) or with an Avaya User-Agent.

if (preg_match('~^/(J100|96x1)Supgrade\.txt$~i', $PATH, $m)) {
    setMarker('avaya_family', strtolower($m[1]));
    sendTemplate('upgrade');
}

if ($PATH === '/46xxsettings.txt') {
    if (!isset($avaya_family)) {
        setMarker('avaya_family', 'unknown');
    }
    sendTemplate('settings');
}

if (preg_match('~^/([0-9a-f]{12})\.txt$~i', $PATH, $m)) {
    $family = isset($avaya_family) ? $avaya_family : null;
    $model = preg_match('~\bAVAYA/(J1[0-9]{2}|96[0-9]1)~i', $USER_AGENT, $ua)
        ? strtolower($ua[1]) : null;
    if ($family === null && $model === null) {
        passNext();
    }
    if ($model !== null && isset($PHONE_TYPES['avaya_' . $model])) {
        $type = 'avaya_' . $model;
    } elseif ($model !== null) {
        $type = $model[0] === 'j' ? 'avaya_j100' : 'avaya_96x1';
    } else {
        $type = $family === '96x1' ? 'avaya_96x1' : 'avaya_j100';
    }
    associatePhone($m[1], $type);
    sendTemplate('phone');
}

passNext();
