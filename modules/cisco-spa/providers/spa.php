<?php
// Cisco SPA 30x/50x/525G and Linksys SPA 9xx provider.
//
// File names (Cisco "SPA300 Series and SPA500 Series IP Phones Provisioning Guide",
// section "Profile Rule"): out of the box the phones ask for /spa$PSN.cfg (e.g.
// /spa504G.cfg; Linksys: /spa941.cfg).  We answer that with a tiny profile that points
// Profile_Rule at /Cisco/$PN/$MA.cfg ($PN = product name, $MA = MAC address, both
// substituted by the phone) and makes it resync at once; from then on every request
// names the model and the MAC, and we can answer with the phone's own configuration.
//
// Logos and firmware (firmware_types) are served under /prov/$MODULE_ID/:
//   logo/SLOT/CONTENT_ID.bmp   firmware/SLOT/CONTENT_ID.bin   what the profile points to:
//       the name changes with every upload, so a phone that keeps a downloaded logo
//       (or skips an Upgrade_Rule it has already run) notices the new one;
//   logo/SLOT.bmp              firmware/SLOT.bin              fixed names of the same
//       content, for REVIEW and for administrators who set a URL on a phone by hand.

$prefix = '/prov/' . preg_quote($MODULE_ID, '~') . '/';
if (preg_match('~^' . $prefix . '(logo|firmware)/([a-z0-9_]+)(?:/[0-9a-f]+)?\.(bmp|bin)$~i',
        $PATH, $m)) {
    serveSlot(strtolower($m[1]), $m[2], strtolower($m[3]));
}

if (preg_match('~^/Cisco/(SPA[0-9A-Z]*)/([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    $model = strtolower($m[1]);
    associatePhone($m[2], isset($PHONE_TYPES[$model]) ? $model : 'spa_generic');

    // Time_Zone takes "GMT+hh:mm" (Provisioning Guide, Regional parameters).
    $offset = abs($TIMEZONE_OFFSET);
    $timezoneString = sprintf('GMT%s%02d:%02d', $TIMEZONE_OFFSET < 0 ? '-' : '+',
                              intdiv($offset, 3600), intdiv($offset % 3600, 60));

    // The phone type's logo slot (FW=) decides which picture parameters the profile
    // carries at all; a filled slot (and logos allowed) gives the URL of its content.
    $logoSlot = null;   // the type's logo slot, filled or not
    $logoPath = null;   // where the phone downloads the current logo
    foreach (phoneFirmwares('logo', false) as $slot) {
        $logoSlot = $slot;
        if ($DISPLAY_LOGO && haveFirmware($slot)) {
            $logoPath = slotPath('logo', $slot, 'bmp');
        }
        break;
    }
    $hasFirmwareSlot = count(phoneFirmwares('firmware', false)) > 0;
    $firmwarePath = null;
    foreach (phoneFirmwares('firmware', true) as $slot) {
        $firmwarePath = slotPath('firmware', $slot, 'bin');
        break;
    }
    sendTemplate('spa_main');
}

if (preg_match('~^/(spa[0-9]{3}[a-z]?)\.cfg$~i', $PATH)) {
    // The factory default request: we cannot know which phone asks, so only redirect.
    sendTemplate('spa_redirect');
}

passNext();

/** /prov/MODULE/KIND/SLOT/CONTENT_ID.EXT: changes with every upload to the slot. */
function slotPath($kind, $slot, $ext) {
    global $MODULE_ID, $FIRMWARE_TYPES;
    return "/prov/$MODULE_ID/$kind/$slot/" . $FIRMWARE_TYPES[$slot]['FW_CONTENT_ID'] . ".$ext";
}

/** Send the processed file of one of our slots of the right kind, or "not found". */
function serveSlot($kind, $slot, $ext) {
    global $FIRMWARE_TYPES;
    $file = array('logo' => 'logo.bmp', 'firmware' => 'firmware.bin')[$kind];
    $known = isset($FIRMWARE_TYPES[$slot]) && $FIRMWARE_TYPES[$slot]['TYPE'] === $kind
        && $ext === ($kind === 'logo' ? 'bmp' : 'bin');
    if ($known && haveFirmware($slot)) {
        // Any content id is answered with the slot's current content: a phone holding an
        // older profile still gets a valid file, and the new profile follows on resync.
        sendFile(getFirmwareFile($slot, $file));
    }
    sendNotFound();
}
