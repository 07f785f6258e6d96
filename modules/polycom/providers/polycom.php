<?php
// Polycom provider: SoundPoint IP, SoundStation IP, VVX and Trio (UC Software / SIP).
//
// Sequence (Polycom "UC Software Administrator Guide" 5.x/6.x, "Master Configuration
// File" and "Provisioning Process"; the SoundPoint IP "Administrator's Guide for the
// SoundPoint IP/SoundStation IP Family", SIP 3.x, "Configuration Files"):
// 1. /<mac>.cfg, the per-phone master file; if missing, /000000000000.cfg, the default
//    master.  We answer both: the master names the application image (sip.ld, not ours:
//    quick "not found") and CONFIG_FILES, the one configuration we serve,
//    polycom-[PHONE_MODEL]-<mac>.cfg (the phone substitutes its model; firmware too old
//    to do so asks for the name as written and gets the generic type).
// 2. The phone uploads its boot log (<mac>-boot.log), then asks for CONFIG_FILES.
// 3. It reads back its overrides and contacts, <mac>-phone.cfg, <mac>-web.cfg and
//    <mac>-directory.xml (what it uploaded earlier, served back here), and keeps
//    uploading them and <mac>-app.log when they change.
// Over HTTP(S) the firmware names itself: "FileTransport PolycomVVX-VVX_410-UA/5.9.5.0614",
// "FileTransport PolycomSoundPointIP-SPIP_650-UA/4.0.1.13681".  The Yealink module runs
// before us for /<mac>.cfg and keeps the Yealinks; we answer /<mac>.cfg for everyone else
// (the module contract's catch-all) except a client whose User-Agent names another vendor.

$uaModel = polycomUserAgentModel($USER_AGENT);
$otherVendor = $uaModel === null && preg_match(
    '~\b(yealink|grandstream|snom|cisco|linksys|aastra|mitel|panasonic|gigaset|fanvil|'
    . 'avaya|htek|alcatel|akuvox)\b~i', $USER_AGENT);

if (preg_match('~^/([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    if ($otherVendor || $UPLOAD) {
        passNext();
    }
    $masterMac = $m[1] === '000000000000' ? null : strtolower($m[1]);
    if ($masterMac !== null) {
        // positive evidence for the uploads and overrides that follow from this address
        setMarker('polycom_mac', $masterMac);
        if ($uaModel !== null) {
            setMarker('polycom_type', polycomType($uaModel, $PHONE_TYPES));
        }
    }
    sendTemplate('polycom_master');
}

if (preg_match('~^/polycom-([^/]+)-([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    if ($UPLOAD) {
        passNext();
    }
    $type = polycomType($uaModel !== null ? $uaModel : $m[1], $PHONE_TYPES);
    setMarker('polycom_mac', strtolower($m[2]));
    setMarker('polycom_type', $type);
    associatePhone($m[2], $type);
    sendTemplate('polycom_main');
}

// Files the phone names after its MAC: uploads (UC Software Administrator Guide, "Master
// Configuration File": with LOG_FILE_DIRECTORY, OVERRIDES_DIRECTORY and CONTACTS_DIRECTORY
// empty the phone PUTs to the provisioning root) and the overrides it reads back.
if (preg_match('~^/([0-9a-f]{12})-([a-z]+\.(?:log|cfg|xml))$~i', $PATH, $m)) {
    $mac = strtolower($m[1]);
    $name = $mac . '-' . strtolower($m[2]);
    $kind = strtolower($m[2]);
    // Positive evidence that a Polycom is asking: its User-Agent, or its master or
    // configuration file fetched from this address a moment ago.
    $type = null;
    if ($uaModel !== null) {
        $type = polycomType($uaModel, $PHONE_TYPES);
    } elseif (isset($polycom_mac) && $polycom_mac === $mac) {
        $type = isset($polycom_type) ? $polycom_type : '';
    }
    $uploadable = array('boot.log', 'app.log', 'phone.cfg', 'web.cfg', 'directory.xml',
                        'calls.xml');
    if ($UPLOAD) {
        if (!in_array($kind, $uploadable, true)) {
            passNext();
        }
        // A phone not known yet (its first boot: the boot log comes before its first
        // configuration) is created here when we know its model (User-Agent, or the
        // configuration it fetched a moment ago).  Without a model, only the boot log of a
        // phone that just fetched its master file from this address creates it, as the
        // generic type: its configuration request, right after, sets its real type.  (Never
        // for later uploads: re-typing a known phone back and forth would mark it changed
        // and resync it.)  Otherwise the host stores the file for a phone it knows, or
        // refuses it.
        if ($type !== null && $type !== '') {
            associatePhone($mac, $type);
        } elseif ($type === '' && $kind === 'boot.log') {
            associatePhone($mac, 'polycom_generic');
        }
        acceptUpload($mac, $name);
    }
    if ($otherVendor || $type === null) {
        passNext();
    }
    // What the phone reads back: its own overrides and contacts, when the phone type
    // says so (serve_uploads), from what it uploaded before.
    $served = isset($PHONE_TYPES[$type]) ? $PHONE_TYPES[$type]['serve_uploads'] ?? '' : '';
    if ($type !== '' && in_array($kind, explode(',', $served), true)) {
        associatePhone($mac, $type);
        sendUpload($name);
    }
    sendNotFound();   // license, language and other files we do not serve
}

// The application image named by the master file, and model-specific images: firmware
// is not served by this module (yet); a quick "not found" keeps the running one.
if (preg_match('~^/(?:[A-Za-z0-9_]+-)?sip\.ld$~', $PATH)) {
    sendNotFound();
}

passNext();

/**
 * The model a Polycom names in its User-Agent ("FileTransport PolycomVVX-VVX_410-UA/5.9.5",
 * "FileTransport PolycomSoundPointIP-SPIP_650-UA/4.0.1", "... PolycomRealPresenceTrio-
 * Trio_8800-UA/5.7"), or null when the client is not a Polycom.
 */
function polycomUserAgentModel($ua) {
    if (preg_match('~Polycom[A-Za-z]*-([A-Za-z]+_?[0-9A-Za-z]*)-UA/~', (string) $ua, $m)) {
        return $m[1];
    }
    return null;
}

/** The phone type for a model as the phone writes it ([PHONE_MODEL], User-Agent). */
function polycomType($model, $types) {
    $key = strtolower(str_replace(array('_', ' ', '-'), '', (string) $model));
    if (isset($types[$key])) {
        return $key;
    }
    foreach ($types as $ident => $options) {
        $aliases = isset($options['models']) ? strtolower($options['models']) : '';
        if ($aliases !== '' && in_array($key, explode(',', $aliases), true)) {
            return $ident;
        }
    }
    return 'polycom_generic';
}
