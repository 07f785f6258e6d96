<?php
// AudioCodes 400HD provider.
//
// First contact (AudioCodes "400HD Series IP Phones Administrator's Manual", Generic SIP,
// "Automatic Provisioning"): the phone asks the server named by DHCP option 160 (or 66)
// for <MAC>.cfg, a name other vendors use too.  We take it only on evidence:
//   - HTTP: the User-Agent "AUDC-IPPhone/2.2.8.61 (440HDG-Rev0; 00908F602AAC)" (older
//     firmware) or "AUDC-IPPhone-C450HD_UC_3.4.6.604/1" (UC firmware) names the model;
//   - TFTP (no User-Agent): the MAC is in AudioCodes' own block 00:90:8F; the model is
//     unknown there, so we answer with a redirect only (templates/audiocodes_redirect.tpl:
//     fetch /prov/audiocodes/<MAC>.cfg over HTTP, where the User-Agent names the model);
// otherwise passNext(), so the Polycom catch-all behind us still gets its phones.
//
// The profile we serve points provisioning/configuration/url at
// /prov/audiocodes/<type>/<MAC>.cfg (<MAC> is the phone's own macro), a name only this
// module answers and that carries the phone type: from the second fetch on,
// identification no longer depends on evidence.  <model>.cfg (the fallback file the phone
// tries when no MAC file exists) and <model>.img (firmware) are not served.

const AUDC_OUI = '00908f';

$prefix = '/prov/' . preg_quote($MODULE_ID, '~') . '/';

if (preg_match('~^' . $prefix . '([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    // the redirect's target: the User-Agent names the model
    serveProfile($m[1], audiocodesType($USER_AGENT, $PHONE_TYPES, 'audiocodes_generic'));
}

if (preg_match('~^' . $prefix . '([a-z0-9_]+)/([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    $type = strtolower($m[1]);
    serveProfile($m[2], isset($PHONE_TYPES[$type]) ? $type : 'audiocodes_generic');
}

if (preg_match('~^/([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    $mac = strtolower($m[1]);
    if (stripos($USER_AGENT, 'AUDC-IPPhone') === 0 || stripos($USER_AGENT, 'AUDC/') === 0) {
        serveProfile($mac, audiocodesType($USER_AGENT, $PHONE_TYPES, 'audiocodes_generic'));
    }
    if ($USER_AGENT === '' && strpos($mac, AUDC_OUI) === 0) {
        sendTemplate('audiocodes_redirect');
    }
    passNext();
}

if (preg_match('~^/[A-Z]?[0-9]{3}HD[A-Z]?\.(cfg|img)$~i', $PATH)) {
    sendNotFound();
}

passNext();

/** The phone type the User-Agent names ("(420HD;", "-C450HD_UC_"), or $fallback. */
function audiocodesType($agent, $types, $fallback) {
    if (preg_match('~(?:\(|AUDC-IPPhone-)(C?[0-9]{3}HD)~i', $agent, $ua)) {
        $ident = 'audiocodes_' . strtolower($ua[1]);
        return isset($types[$ident]) ? $ident : 'audiocodes_generic';
    }
    return $fallback;
}

/** Associate the phone and answer with its profile. */
function serveProfile($mac, $type) {
    global $TIMEZONE_OFFSET, $gmtOffset;
    associatePhone($mac, $type);
    // system/ntp/gmt_offset takes "+hh:mm" / "-hh:mm" (Administrator's Manual, "Date and Time").
    $abs = abs($TIMEZONE_OFFSET);
    $gmtOffset = sprintf('%s%02d:%02d', $TIMEZONE_OFFSET < 0 ? '-' : '+', intdiv($abs, 3600),
                         intdiv($abs % 3600, 60));
    sendTemplate('audiocodes');
}
