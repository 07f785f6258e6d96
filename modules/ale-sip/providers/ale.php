<?php
// ALE SIP DeskPhones provider.
//
// /config.xml               the common file: ours only for an ALE User-Agent -> not found
// /config.<model>.xml       the model file: remember the model (marker) -> not found
// /config.<mac>.xml         the phone's file: model from User-Agent, marker, else generic
// /prov/<module>/<type>/... the same three files once the phone has been moved to its
//                           type-named directory by DeviceProvisionServerUrl.

$ua = preg_match('~^ALE ([0-9A-Za-z]+)~', $USER_AGENT, $u) ? $u[1] : null;

if (preg_match('~^/prov/' . preg_quote($MODULE_ID, '~')
        . '/([a-z0-9_.-]+)/config(?:\.([^/]+))?\.xml$~i', $PATH, $m)) {
    $name = isset($m[2]) ? $m[2] : '';
    if (!preg_match('~^[0-9a-f]{12}$~i', $name)) {
        sendNotFound();
    }
    associatePhone($name, isset($PHONE_TYPES[$m[1]]) ? $m[1] : 'ale_generic');
    sendTemplate('ale_mac');
}

if ($PATH === '/config.xml') {
    if ($ua === null) {
        passNext();
    }
    sendNotFound();
}

if (preg_match('~^/config\.([^/]+)\.xml$~', $PATH, $m)) {
    if (preg_match('~^[0-9a-f]{12}$~i', $m[1])) {
        $model = $ua !== null ? $ua : (isset($ale_model) ? $ale_model : null);
        associatePhone($m[1], aleType($model, $PHONE_TYPES));
        sendTemplate('ale_mac');
    }
    if ($ua === null && aleType($m[1], $PHONE_TYPES) === 'ale_generic') {
        passNext(); // not an ALE model name, and no ALE User-Agent: not ours
    }
    setMarker('ale_model', substr($m[1], 0, 64));
    sendNotFound();
}

passNext();

/** The phone type of an ALE model name ("M3-CE", "8028s-GE", "8078s"). */
function aleType($model, $types) {
    if ($model !== null && preg_match('~^(M[0-9]|[0-9]{4}s?)~i', $model, $m)) {
        $ident = 'ale_' . strtolower($m[1]);
        if (isset($types[$ident])) {
            return $ident;
        }
    }
    return 'ale_generic';
}
