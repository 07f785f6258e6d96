<?php
// Yealink provider: boot files, the common file named by hardware id, the MAC file.
//
// Sequence (Yealink "Auto Provisioning Guide" V81, "Boot Files"; older firmware starts
// at step 3):
// 1. /<mac>.boot: the MAC-oriented boot file.  Over HTTP the User-Agent names the model
//    ("Yealink SIP-T46S 66.84.0.15 00:15:65:aa:bb:cc"): we answer a boot file that
//    includes the MAC file, so the phone goes straight to it.  Over TFTP nothing names
//    the model: remember the MAC for this address (marker) and answer "not found".
// 2. /y000000000000.boot: the common boot file: "not found", so the phone falls back to
//    the common CFG file, which names its model.
// 3. /y000000000XXX.cfg, XXX the hardware id: remember it (marker), answer "not found".
// 4. /<mac>.cfg: ours only on positive evidence (a marker from steps 1-3 for this
//    address, or a Yealink User-Agent); otherwise pass, so the Polycom module (which
//    runs later and answers /<mac>.cfg for anyone) can take it.
// Uploads: <mac>-local.cfg (settings changed on the phone) and <mac>-contact.xml, only
// from a phone identified the same way.

$ua = yealinkUserAgent($USER_AGENT);

// Firmware images (firmware_types), under /prov/$MODULE_ID/firmware/: SLOT/CONTENT_ID.rom is
// what the MAC file names (it changes with every upload), SLOT.rom the same content under
// a fixed name (REVIEW, or a URL set by hand).  Any content id gets the current image.
if (preg_match('~^/prov/' . preg_quote($MODULE_ID, '~') . '/firmware/([a-z0-9_]+)(?:/[0-9a-f]+)?\.rom$~i',
        $PATH, $m)) {
    $slot = $m[1];
    if (isset($FIRMWARE_TYPES[$slot]) && $FIRMWARE_TYPES[$slot]['TYPE'] === 'firmware'
            && haveFirmware($slot)) {
        sendFile(getFirmwareFile($slot, 'firmware.rom'));
    }
    sendNotFound();
}

if (preg_match('~^/([0-9a-f]{12})\.boot$~i', $PATH, $m)) {
    if ($ua === null) {
        setMarker('yealink_mac', strtolower($m[1]));
        sendNotFound();
    }
    setMarker('yealink_model', $ua['model']);
    associatePhone($m[1], yealinkType($ua['model'], $ua['code'], $PHONE_TYPES));
    sendTemplate('yealink_boot');
}

if (preg_match('~^/y0{12}\.boot$~i', $PATH)) {
    setMarker('yealink_seen', '1');
    sendNotFound();
}

if (preg_match('~^/y0{9}([0-9]{3})\.cfg$~i', $PATH, $m)) {
    setMarker('yealink_code', (string) (int) $m[1]);
    sendNotFound();
}

if (preg_match('~^/([0-9a-f]{12})(\.cfg|-local\.cfg|-contact\.xml)$~i', $PATH, $m)) {
    $mac = strtolower($m[1]);
    if ($mac === '000000000000') {
        passNext();   // Polycom's default master file
    }
    if ($ua !== null) {
        $type = yealinkType($ua['model'], $ua['code'], $PHONE_TYPES);
    } elseif (preg_match('~polycom|cisco|linksys|grandstream|snom|aastra|mitel|panasonic|'
            . 'gigaset|fanvil|avaya|htek|alcatel~i', $USER_AGENT)) {
        passNext();   // another vendor's phone names itself, whatever the markers say
    } elseif (polycomOui($mac)) {
        passNext();   // a Polycom behind the same address (NAT): never ours without a UA
    } elseif (isset($yealink_code)) {
        $type = yealinkType(isset($yealink_model) ? $yealink_model : '', $yealink_code,
                            $PHONE_TYPES);
    } elseif (isset($yealink_model)) {
        $type = yealinkType($yealink_model, null, $PHONE_TYPES);
    } elseif ((isset($yealink_mac) && $yealink_mac === $mac) || isset($yealink_seen)) {
        $type = 'yealink_generic';
    } else {
        passNext();   // no evidence this is a Yealink: the Polycom module may take it
    }
    if ($m[2] === '.cfg' && !$UPLOAD) {
        associatePhone($mac, $type);
        sendTemplate('yealink_mac');
    }
    if ($UPLOAD && $m[2] !== '.cfg') {
        associatePhone($mac, $type);
        acceptUpload($mac, $mac . strtolower($m[2]));
    }
    sendNotFound();
}

passNext();

/** Polycom's MAC prefixes (IEEE OUI registry: 00:04:F2, 64:16:7F, 48:25:67). */
function polycomOui($mac) {
    return in_array(substr($mac, 0, 6), array('0004f2', '64167f', '482567'), true);
}

/**
 * The model and hardware id a Yealink names in its User-Agent, or null for anything else:
 * "Yealink SIP-T46S 66.84.0.15 00:15:65:aa:bb:cc", "yealink SIP-T28P 2.60.0.110 ...",
 * "Yealink SIP VP59 91.85.0.5 ...", "Yealink W60B 77.83.0.85 ...", "Yealink CP920 ...".
 */
function yealinkUserAgent($ua) {
    if (!preg_match('~^Yealink[ -]+(?:SIP[- ]+)?([A-Z]+[-A-Z0-9_]*?)\s+([0-9]+)\.[0-9.]+~i', (string) $ua, $m)) {
        return null;
    }
    return array('model' => strtoupper($m[1]), 'code' => (string) (int) $m[2]);
}

/**
 * The phone type for a model name (User-Agent) and/or a hardware id (common file name,
 * firmware version).  The model name wins: several models share a firmware id.
 */
function yealinkType($model, $code, $types) {
    $model = strtoupper((string) $model);
    if ($model !== '') {
        foreach ($types as $ident => $options) {
            $names = isset($options['models']) ? $options['models'] : '';
            if ($names !== '' && in_array($model, explode(',', strtoupper($names)), true)) {
                return $ident;
            }
        }
    }
    if ($code !== null && $code !== '') {
        foreach ($types as $ident => $options) {
            if (isset($options['code']) && (string) (int) $options['code'] === (string) (int) $code
                    && (int) $options['code'] >= 0 && !isset($options['family'])) {
                return $ident;
            }
        }
    }
    return preg_match('~^(W[0-9]|CP930W)~', $model) ? 'yealink_dect_generic' : 'yealink_generic';
}
