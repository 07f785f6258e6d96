<?php
// Escene provider.
//
// /<mac>.xml (any case): shared with other vendors, ours only when the MAC is in
// Escene's block 00:26:8B (TFTP: no User-Agent) or the HTTP User-Agent names Escene.
// /prov/escene/<type>/<mac>.xml: where our file points the phone (its Firmware path).
// The extension-key and phonebook files are not served (our file switches them off).

const ESCENE_OUI = '00268b';

$prefix = '/prov/' . preg_quote($MODULE_ID, '~') . '/';

if (preg_match('~^' . $prefix . '([a-z0-9_]+)/([0-9a-f]{12})(_extern|_phonebook)?\.xml$~i',
        $PATH, $m)) {
    if (($m[3] ?? '') !== '') {
        sendNotFound();
    }
    $type = strtolower($m[1]);
    serveConfig($m[2], isset($PHONE_TYPES[$type]) ? $type : 'escene_generic');
}

if (preg_match('~^/([0-9a-f]{12})(_extern|_phonebook)?\.xml$~i', $PATH, $m)) {
    $mac = strtolower($m[1]);
    $fromAgent = stripos($USER_AGENT, 'Escene') !== false;
    if (!$fromAgent && !($USER_AGENT === '' && strpos($mac, ESCENE_OUI) === 0)) {
        passNext();
    }
    if (($m[2] ?? '') !== '') {
        sendNotFound();
    }
    $type = 'escene_generic';
    if ($fromAgent && preg_match('~ES([2346])[0-9]{2}~i', $USER_AGENT, $ua)) {
        $type = 'escene_es' . $ua[1] . 'xx';
    }
    serveConfig($mac, $type);
}

passNext();

function serveConfig($mac, $type) {
    global $TIMEZONE_OFFSET, $timezoneType;
    associatePhone($mac, $type);
    $timezoneType = esceneTimeZone((int) round($TIMEZONE_OFFSET / 60));
    sendTemplate('escene');
}

/**
 * TimeZoneType: an index into the phone's zone list.  One zone per UTC offset (minutes),
 * chosen without daylight saving where the list has one; an offset not in the list gets
 * the nearest one.
 */
function esceneTimeZone($minutes) {
    $zones = array(-720 => 0, -660 => 1, -600 => 2, -540 => 3, -480 => 4, -420 => 5,
        -360 => 6, -300 => 7, -270 => 58, -240 => 8, -210 => 43, -180 => 9, -120 => 10,
        -60 => 11, 0 => 12, 60 => 13, 120 => 14, 180 => 15, 210 => 47, 240 => 16,
        270 => 108, 300 => 17, 330 => 26, 360 => 18, 390 => 46, 420 => 19, 480 => 20,
        540 => 21, 570 => 44, 600 => 22, 630 => 119, 660 => 23, 720 => 24, 765 => 121,
        780 => 25);
    $best = 0;
    foreach (array_keys($zones) as $offset) {
        if (abs($offset - $minutes) < abs($best - $minutes)) {
            $best = $offset;
        }
    }
    return $zones[$best];
}
