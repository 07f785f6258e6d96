<?php
// Flyingvoice FIP provider.
//
// Evidence that a request is a Flyingvoice's (the file names are Yealink's too):
//   - the HTTP User-Agent "Flyingvoice FIP13G V0.6.24 00:21:F2:22:AE:F1" (it names the
//     model, and the MAC), or
//   - over TFTP, a MAC in a Flyingvoice block: 00:21:F2 (the ODM block on older stock) or
//     78:99:12 (Flyingvoice's own).
// Without it every request is passed on, so the Yealink module keeps its phones.
//
// /prov/flyingvoice/<type>/<file>   what a provisioned phone fetches (our profile sets
//                                   the provisioning URL to that folder)
// /prov/flyingvoice/<file>          the same, type from the User-Agent (phones first met
//                                   over TFTP are sent there)

const FLYINGVOICE_OUIS = array('0021f2', '789912');

$prefix = '/prov/' . preg_quote($MODULE_ID, '~') . '/';
$agentModel = null;
if (preg_match('~^Flyingvoice\s+(FIP[0-9A-Z]+)~i', $USER_AGENT, $ua)) {
    $agentModel = 'flyingvoice_' . strtolower($ua[1]);
}
$fromAgent = stripos($USER_AGENT, 'Flyingvoice') === 0;

if (preg_match('~^' . $prefix . '(?:([a-z0-9_]+)/)?(.+)$~i', $PATH, $m)) {
    $type = $m[1] !== '' ? strtolower($m[1]) : ($agentModel ?? 'flyingvoice_generic');
    if (!isset($PHONE_TYPES[$type])) {
        $type = 'flyingvoice_generic';
    }
    if (preg_match('~^([0-9a-f]{12})\.cfg$~i', $m[2], $f)) {
        serveProfile($f[1], $type, true);
    }
    sendNotFound();   // boot files, the common file, anything else under our prefix
}

if (preg_match('~^/y0{12}\.(cfg|boot)$~i', $PATH)) {
    if ($fromAgent) {
        sendNotFound();
    }
    passNext();       // a Yealink (or a Flyingvoice over TFTP: same meaning, no harm)
}

if (preg_match('~^/([0-9a-f]{12})\.(cfg|boot)$~i', $PATH, $m)) {
    $mac = strtolower($m[1]);
    $fromMac = $USER_AGENT === '' && in_array(substr($mac, 0, 6), FLYINGVOICE_OUIS, true);
    if (!$fromAgent && !$fromMac) {
        passNext();
    }
    if (strtolower($m[2]) === 'boot') {
        sendNotFound();
    }
    $type = $agentModel !== null && isset($PHONE_TYPES[$agentModel]) ? $agentModel
        : 'flyingvoice_generic';
    // a model named by the User-Agent goes to its typed folder; TFTP phones to the
    // untyped one, over HTTP, where they will name themselves
    serveProfile($mac, $type, $fromAgent);
}

passNext();

/** Associate the phone and send its profile; $typed: the folder we point it at is typed. */
function serveProfile($mac, $type, $typed) {
    global $TIMEZONE_OFFSET, $timezone, $folder;
    associatePhone($mac, $type);
    $timezone = sprintf('%+g', $TIMEZONE_OFFSET / 3600);
    $folder = $typed ? $type . '/' : '';
    sendTemplate('flyingvoice');
}
