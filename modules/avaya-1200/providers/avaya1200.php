<?php
// Avaya 1200 series SIP provider.
//
// /12x0SIP.cfg    the provisioning file: remember the model (marker) and answer with a
//                 [USER_CONFIG] section, so the phone asks for its own file next.
// /SIP<MAC>.cfg   the phone's own file.  The model comes from the marker; phones that
//                 skip the provisioning file (HTTP) are taken on their User-Agent
//                 ("AVAYA/SIP12x0.../04.01.13.00"), else the generic type.

if (preg_match('~^/(12[0-9]0)SIP\.cfg$~i', $PATH, $m)) {
    setMarker('avaya1200_model', $m[1]);
    sendTemplate('provisioning');
}

if (preg_match('~^/SIP([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    $model = isset($avaya1200_model) ? $avaya1200_model : null;
    if ($model === null && !preg_match('~\bAVAYA/SIP12~i', $USER_AGENT)) {
        passNext();
    }
    $type = $model !== null && isset($PHONE_TYPES['avaya_' . $model])
        ? 'avaya_' . $model : 'avaya_12x0';
    associatePhone($m[1], $type);
    sendTemplate('user_config');
}

passNext();
