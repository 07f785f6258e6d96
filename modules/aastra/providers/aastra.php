<?php
// Aastra / Mitel provider: two-stage detection with markers.
//
// 1. /aastra.cfg: every Aastra/Mitel phone asks for it first.  The name is Aastra's own:
//    remember for this client address that an Aastra asks (marker aastra), and answer the
//    settings common to all phones.
// 2. /<model>.cfg (6731i.cfg, 6867i.cfg, 6930.cfg): remember the model (aastra_model)
//    and answer an (almost) empty model file.
// 3. /<MAC>.cfg: the name Polycom (and Yealink) phones use too.  Ours only if this
//    address announced itself (markers above) or the HTTP User-Agent is an Aastra/Mitel
//    one: "Aastra6731i MAC:00-08-5D-1A-2B-3C V:3.3.1.4322-SIP" (Mitel firmware:
//    "Mitel6867i MAC:..."); otherwise passNext() so the next module can take it.
// MiVoice 53xx SIP phones ask for MN_Generic.cfg then MN_<mac>.cfg: names of their own.

$uaModel = null;
if (preg_match('~^(?:Aastra|Mitel) ?([0-9]{3,4}i?)\s+MAC:~i', $USER_AGENT, $m)) {
    $uaModel = strtolower($m[1]);
}

if (strtolower($PATH) === '/aastra.cfg') {
    setMarker('aastra', '1');
    sendTemplate('aastra_common');
}

if (preg_match('~^/([0-9]{3,4}i|69[0-9]{2})\.cfg$~i', $PATH, $m)) {
    $model = strtolower($m[1]);
    if (!isset($PHONE_TYPES['aastra_' . $model]) && !isset($aastra) && $uaModel === null) {
        passNext();    // an unknown number without any sign of an Aastra: not ours
    }
    setMarker('aastra_model', $model);
    sendTemplate('aastra_model');
}

if (preg_match('~^/([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    $model = $aastra_model ?? $uaModel;
    if ($model === null && !isset($aastra)) {
        passNext();
    }
    $type = $model !== null && isset($PHONE_TYPES['aastra_' . $model])
        ? 'aastra_' . $model : 'aastra_generic';
    associatePhone($m[1], $type);
    sendTemplate('aastra_mac');
}

// MiVoice 53xx (SIP)
if (strtolower($PATH) === '/mn_generic.cfg') {
    setMarker('mivoice53', '1');
    sendTemplate('mivoice_generic');
}
if (preg_match('~^/MN_([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    associatePhone($m[1], 'mivoice_53xx');
    sendTemplate('mivoice_mac');
}

passNext();
