<?php
// Gigaset PRO DECT bases.
//
// /gigaset/<model>/<MAC>.xml and /gigaset/<MAC>.xml: our own directory, so the name alone
// says it is a Gigaset; the model comes from the path, else the User-Agent.
// /<MAC>.xml: a shared name (other vendors fetch <mac>.xml too); ours only when the HTTP
// User-Agent names a Gigaset ("Gigaset N870 IP PRO/2.48.1+build...;7C2F80..."), otherwise
// the next module is asked.

// Firmware: /gigaset/firmware/SLOT/CONTENT_ID.bin is what the provisioning file names (a
// new upload, a new name); /gigaset/firmware/SLOT.bin the same content under a fixed name.
if (preg_match('~^/gigaset/firmware/([a-z0-9_]+)(?:/[0-9a-f]+)?\.bin$~i', $PATH, $m)) {
    $slot = strtolower($m[1]);
    if (isset($FIRMWARE_TYPES[$slot]) && $FIRMWARE_TYPES[$slot]['TYPE'] === 'firmware'
            && haveFirmware($slot)) {
        sendFile(getFirmwareFile($slot, 'firmware.bin'));
    }
    sendNotFound();
}

if (preg_match('~^/gigaset/(?:([a-z0-9]+)/)?([0-9a-f]{12})\.xml$~i', $PATH, $m)) {
    $model = $m[1] !== '' ? $m[1] : gigasetModelFromAgent($USER_AGENT);
    associatePhone($m[2], gigasetType($model, $PHONE_TYPES));
    $firmware = gigasetFirmware();
    sendTemplate('gigaset_' . $format);
}

if (preg_match('~^/([0-9a-f]{12})\.xml$~i', $PATH, $m)) {
    $model = gigasetModelFromAgent($USER_AGENT);
    if ($model === null) {
        passNext();
    }
    associatePhone($m[1], gigasetType($model, $PHONE_TYPES));
    $firmware = gigasetFirmware();
    sendTemplate('gigaset_' . $format);
}

if (preg_match('~^/gigaset/~i', $PATH)) {
    sendNotFound(); // our directory: nothing else is served there
}

passNext();

/** "n870" from "Gigaset N870 IP PRO/...", "" for another Gigaset, null if not a Gigaset. */
function gigasetModelFromAgent($agent) {
    if (preg_match('~^Gigaset\s+(N[0-9]+)~i', $agent, $m)) {
        return strtolower($m[1]);
    }
    return preg_match('~^Gigaset\b~i', $agent) ? '' : null;
}

/** The phone type for a model name ("n870"); the generic type for any other. */
function gigasetType($model, $types) {
    $ident = 'gigaset_' . strtolower((string) $model);
    return isset($types[$ident]) ? $ident : 'gigaset_generic';
}

/** [version, path] of the phone type's filled firmware slot, or null. */
function gigasetFirmware() {
    global $FIRMWARE_TYPES;
    foreach (phoneFirmwares('firmware', true) as $slot) {
        $version = trim((string) @file_get_contents(getFirmwareFile($slot, 'version.txt')));
        if ($version !== '') {
            return array($version, "/gigaset/firmware/$slot/" . $FIRMWARE_TYPES[$slot]['FW_CONTENT_ID'] . '.bin');
        }
    }
    return null;
}
