<?php
// Snom provider.
//
// File names (Snom Service wiki, "Auto Provisioning"): <phoneType>.htm, then
// <phoneType>-<MAC>.htm (or the same names ending in .xml when the setting server URL
// names an .xml file).  Both names start with the Snom vendor identifier, so they are
// ours without markers.  The model comes from the file name; when the file name carries
// a model we do not know (a newer phone), the User-Agent may still name it:
// "Mozilla/4.0 (compatible; snomD765-SIP 10.1.54.13)" (some firmware writes "snom D765").

$uaModel = null;
if (preg_match('~\bsnom ?-?([A-Za-z]?[0-9]+[A-Za-z]*)(?:-SIP)?\b~', $USER_AGENT, $m)) {
    $uaModel = $m[1];
}

// <phoneType>-<MAC>.htm / .xml: the phone's own settings
if (preg_match('~^/snom([A-Za-z]?[0-9]+[A-Za-z]*)-([0-9A-Fa-f]{12})\.(htm|xml)$~', $PATH, $m)) {
    associatePhone($m[2], snomType($m[1], $uaModel, $PHONE_TYPES));
    sendTemplate('snom_phone');
}

// <phoneType>.htm / .xml: settings common to the model.  We keep everything per phone in
// the MAC file (which the phone asks for next), so this one only says how to update.
if (preg_match('~^/snom([A-Za-z]?[0-9]+[A-Za-z]*)\.(htm|xml)$~', $PATH)) {
    sendTemplate('snom_common');
}

// anything else under our names (snom*.htm that is neither) is not a Snom file
sendNotFound();

/** The phone type for a Snom phone type name ("320", "D765", "M700"). */
function snomType($model, $uaModel, $types) {
    foreach (array($model, $uaModel) as $name) {
        if ($name === null) {
            continue;
        }
        $ident = 'snom_' . strtolower($name);
        if (isset($types[$ident])) {
            return $ident;
        }
        $base = preg_replace('~^(snom_[a-z]?[0-9]+).*$~', '$1', $ident); // D765 "-A", 320x
        if (isset($types[$base])) {
            return $base;
        }
    }
    return 'snom_generic';
}
