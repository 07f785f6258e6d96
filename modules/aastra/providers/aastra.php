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
//
// Phones of several vendors behind one address (NAT, a test bench) may boot within the
// marker lifetime: a marker alone is not enough when another vendor also announced itself
// from this address (its marker is visible here too) or the MAC's vendor prefix is
// another vendor's.  Then only the User-Agent or an Aastra/Mitel prefix decides.

// IEEE OUIs: Aastra Telecom 00:08:5D, Mitel 08:00:0F; and those of the vendors whose
// phones also ask for /<mac>.cfg (Polycom 00:04:F2, 64:16:7F; Yealink 00:15:65, 80:5E:C0,
// 80:5E:0C, 24:9A:D8, 44:DB:D2).
const AASTRA_OUIS = array('00085d', '08000f');
const OTHER_OUIS = array('0004f2', '64167f', '001565', '805ec0', '805e0c', '249ad8', '44dbd2');

// Markers are the globals whose names are not all upper case (docs/module-api.md); take
// the list before this script defines any variable of its own.
$foreignMarkers = otherMarkers(array_keys(get_defined_vars()), array('aastra', 'aastra_model', 'mivoice53'));

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
    $mac = strtolower($m[1]);
    $model = $uaModel ?? ($aastra_model ?? null);
    if ($uaModel === null && $USER_AGENT !== '') {
        passNext();    // an HTTP client that is not an Aastra/Mitel (they always say so)
    }
    if ($uaModel === null) {
        $announced = isset($aastra) || isset($aastra_model);
        $ownPrefix = in_array(substr($mac, 0, 6), AASTRA_OUIS, true);
        $otherPrefix = in_array(substr($mac, 0, 6), OTHER_OUIS, true);
        if (!$announced || (!$ownPrefix && ($otherPrefix || $foreignMarkers))) {
            passNext();
        }
    }
    $type = $model !== null && isset($PHONE_TYPES['aastra_' . $model])
        ? 'aastra_' . $model : 'aastra_generic';
    associatePhone($m[1], $type);
    sendTemplate('aastra_mac');
}

// <model>.st: the firmware image, from the model's slot (firmware_types, FW= of its type).
// Phones ask at every boot; an empty slot is a quick "not found" (the phone keeps its own).
if (preg_match('~^/([0-9]{3,4}i|69[0-9]{2})\.st$~i', $PATH, $m)) {
    $slot = 'fw_' . strtolower($m[1]);
    if (!isset($FIRMWARE_TYPES[$slot])) {
        passNext();
    }
    if (haveFirmware($slot)) {
        sendFile(getFirmwareFile($slot, 'firmware.st'));
    }
    sendNotFound();
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

/** Marker names set by other modules: not all upper case, not in $ours.  PHP's argv/argc
 *  two loop variables the sandbox's own start-up code leaves in the global scope (const,
 *  value) and the dialplans ($DIALPLAN_<name>) are no markers. */
function otherMarkers($names, $ours) {
    $other = array();
    foreach ($names as $name) {
        if ($name !== strtoupper($name) && !in_array($name, $ours, true)
                && strncmp($name, 'DIALPLAN_', 9) !== 0
                && !in_array($name, array('argv', 'argc', 'const', 'value'), true)) {
            $other[] = $name;
        }
    }
    return $other;
}
