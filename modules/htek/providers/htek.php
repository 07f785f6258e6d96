<?php
// Htek UC900 provider: two-stage detection, then a type-named provisioning path.
//
// 1. /cfgNNNN.xml (device code of the model series): remember the code for this client
//    address and answer "not found", so the phone goes on to its MAC files (it stops at
//    the first file it gets: Htek "UC900 Series IP Phones Provisioning", 2.1).
// 2. /cfg<mac> (Htek's encrypted binary format) and /cfg<mac>.xml: Grandstream phones
//    ask for the same names, so they are ours only after that announcement (marker) or
//    with an Htek User-Agent ("Htek UC903 2.0.4.2 00:1f:c1:1c:22:a9"); otherwise pass on.
// 3. /prov/<module>/<type>/...: where the configuration we served points the phone from
//    then on (P237); the path names the type, so no detection is needed.

$prefix = '~^/prov/' . preg_quote($MODULE_ID, '~') . '/([a-z0-9_.-]+)';
if (preg_match($prefix . '/cfg[0-9]{4}\.xml$~i', $PATH)) {
    sendNotFound();
}
if (preg_match($prefix . '/cfg([0-9a-f]{12})(\.xml)?$~i', $PATH, $m)) {
    if (!isset($m[3]) || $m[3] === '') {
        sendNotFound();
    }
    associatePhone($m[2], isset($PHONE_TYPES[$m[1]]) ? $m[1] : 'htek_generic');
    sendTemplate('htek_mac');
}

// Htek's boot list also names factory000x.bin (Htek factory use only: never served)
// and /<mac>.cfg.  The latter is the Polycom catch-all's name, and an Htek stops at the
// first file it gets: so an announced Htek gets "not found" for it, anyone else is
// passed on.
if (preg_match('~^/factory[0-9]+\.bin$~i', $PATH)) {
    sendNotFound();
}
if (preg_match('~^/[0-9a-f]{12}\.cfg$~i', $PATH)) {
    if (htekType(isset($htek_code) ? $htek_code : null, $USER_AGENT, $PHONE_TYPES) === null) {
        passNext();
    }
    sendNotFound();
}

if (preg_match('~^/cfg([0-9]{4})\.xml$~i', $PATH, $m)) {
    setMarker('htek_code', $m[1]);
    sendNotFound();
}

if (preg_match('~^/cfg([0-9a-f]{12})(\.xml)?$~i', $PATH, $m)) {
    $type = htekType(isset($htek_code) ? $htek_code : null, $USER_AGENT, $PHONE_TYPES);
    if ($type === null) {
        passNext();
    }
    if (!isset($m[2]) || $m[2] === '') {
        sendNotFound(); // the binary backup format: we only write XML
    }
    associatePhone($m[1], $type);
    sendTemplate('htek_mac');
}

passNext();

/** The phone type from the User-Agent model or the announced device code; null when
 *  nothing says the phone is an Htek. */
function htekType($code, $userAgent, $types) {
    if (preg_match('~^Htek (UC[0-9]+)~i', $userAgent, $ua)) {
        $ident = 'htek_' . strtolower($ua[1]);
        return isset($types[$ident]) ? $ident : 'htek_generic';
    }
    if ($code === null) {
        return null;
    }
    foreach ($types as $ident => $options) {
        if (isset($options['code']) && $options['code'] === $code) {
            return $ident;
        }
    }
    return 'htek_generic';
}
