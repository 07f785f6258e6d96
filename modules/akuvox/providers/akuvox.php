<?php
// Akuvox provider: /<mac>.cfg, shared with other vendors, is ours only on evidence:
//   - the MAC is in Akuvox's block 0C:11:05 (TFTP: no User-Agent), or
//   - the HTTP User-Agent starts with "Akuvox" (its model, "R29C" say, picks the type).
// Otherwise passNext(), so the Polycom catch-all behind us still gets its phones.
//
// /prov/akuvox/<type>/<mac>.cfg: an Autop server URL set to http://<provhost>/prov/akuvox/
// <type>/ pins the type (no request of the device names its model otherwise).

const AKUVOX_OUI = '0c1105';

$prefix = '/prov/' . preg_quote($MODULE_ID, '~') . '/';
if (preg_match('~^' . $prefix . '([a-z0-9_]+)/([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    $type = strtolower($m[1]);
    serveConfig($m[2], isset($PHONE_TYPES[$type]) ? $type : 'akuvox_generic');
}

if (preg_match('~^/([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    $mac = strtolower($m[1]);
    $fromAgent = stripos($USER_AGENT, 'Akuvox') === 0;
    if (!$fromAgent && !($USER_AGENT === '' && strpos($mac, AKUVOX_OUI) === 0)) {
        passNext();
    }
    $type = 'akuvox_generic';
    if ($fromAgent && preg_match('~^Akuvox[ _/-]*(?:SP-)?(R[0-9]{2})~i', $USER_AGENT, $ua)
            && isset($PHONE_TYPES['akuvox_' . strtolower($ua[1])])) {
        $type = 'akuvox_' . strtolower($ua[1]);
    }
    serveConfig($mac, $type);
}

passNext();

function serveConfig($mac, $type) {
    global $TIMEZONE_OFFSET, $timezone;
    associatePhone($mac, $type);
    // Config.Settings.SNTP.TimeZone takes "+hh:mm"
    $abs = abs($TIMEZONE_OFFSET);
    $timezone = sprintf('%s%02d:%02d', $TIMEZONE_OFFSET < 0 ? '-' : '+', intdiv($abs, 3600),
                        intdiv($abs % 3600, 60));
    sendTemplate('akuvox');
}
