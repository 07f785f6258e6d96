<?php
// Yealink SIP-T provider: two-stage detection with a marker.
//
// 1. /y0000000000XX.cfg (the common file; XX = model code): remember the model for this
//    client address, and answer "not found" so the phone goes on to its MAC file.
// 2. /<mac>.cfg: only if this client announced itself as a Yealink (marker), or its HTTP
//    User-Agent says so ("Yealink SIP-T46G 28.80.0.95 00:15:65:aa:bb:cc"), is it ours;
//    otherwise pass, so the Polycom module (which runs later) can take it.

if (preg_match('~^/y0{10}([0-9]{2})\.cfg$~i', $PATH, $m)) {
    setMarker('yealink_model', $m[1]);
    sendNotFound();
}

if (preg_match('~^/([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    $code = isset($yealink_model) ? $yealink_model : null;
    if ($code === null && preg_match('~^Yealink SIP-(T[0-9]+)~i', $USER_AGENT, $ua)) {
        $byName = 'yealink_' . strtolower(preg_replace('~[A-Z]$~', '', $ua[1]));
        $code = isset($PHONE_TYPES[$byName]) ? $byName : 'generic';
    }
    if ($code === null) {
        passNext();
    }
    associatePhone($m[1], yealinkType($code, $PHONE_TYPES));
    sendTemplate('yealink_mac');
}

passNext();

/** The phone type for a model code (or a type name found in the User-Agent). */
function yealinkType($code, $types) {
    if (isset($types[$code])) {
        return $code;
    }
    foreach ($types as $ident => $options) {
        $typeCode = isset($options['code']) ? $options['code'] : '';
        if (strpos($typeCode, '{') !== false) {
            $typeCode = substr($ident, 9); // the @set default: digits of the identifier
        }
        if ($typeCode === $code) {
            return $ident;
        }
    }
    return 'yealink_generic';
}
