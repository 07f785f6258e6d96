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

// The profile, as Profile_Rule names it: /Cisco/$PN/$MA.cfg.  Rules an administrator wrote
// by hand (or put in DHCP option 160/159) may use $PSN instead of $PN, .xml instead of
// .cfg, or leave the product out: /Cisco/$MA.cfg; the User-Agent then names the model
// ("Cisco/SPA504G-7.6.2 (...)", "Cisco-CP-8841-3PCC/11.3.1 (...)", "Linksys/PAP2T-5.1.6").
if (preg_match('~^/Cisco/(?:([A-Za-z0-9_.-]+)/)?([0-9a-f]{12})\.(?:cfg|xml)$~i', $PATH, $m)) {
    $product = $m[1] !== '' ? $m[1] : ciscoUserAgentProduct($USER_AGENT);
    associatePhone($m[2], ciscoType($product, $PHONE_TYPES));
    profileVariables();
    sendTemplate('spa_main');
}

// /<mac>.xml at the root: a rule some administrators use (option 160
// "http://server/$MA.xml").  Other vendors ask for the same names, so only a Cisco or
// Linksys User-Agent makes them ours.
if (preg_match('~^/([0-9a-f]{12})\.xml$~i', $PATH, $m) && !$UPLOAD) {
    $product = ciscoUserAgentProduct($USER_AGENT);
    if ($product === '') {
        passNext();
    }
    associatePhone($m[1], ciscoType($product, $PHONE_TYPES));
    // (the same profile as /Cisco/$PN/$MA.cfg; its Profile_Rule moves the phone there)
    profileVariables();
    sendTemplate('spa_main');
}

// The factory default requests: /spa$PSN.cfg (SPA phones and ATAs: /spa504G.cfg,
// /spa112.cfg, /spa941.cfg), /init.cfg (Linksys/Sipura ATAs such as the PAP2T), /$PSN.xml
// (multiplatform phones: /8841.xml, some firmware /CP-8841-3PCC.xml).  We cannot know
// which phone asks, so only redirect (the seed's first-boot redirect).
if (preg_match('~^/(?:spa[0-9]{3,4}[a-z]?\.cfg|init\.cfg|spa2t\.cfg|(?:cp-)?[678][0-9]{3}(?:-3pcc)?\.xml|ata19[12]\.xml)$~i', $PATH)) {
    sendTemplate('spa_redirect');
}

passNext();

/** The variables spa_main.tpl reads, once the phone is associated (globals). */
function profileVariables() {
    global $admin_param, $TIMEZONE_OFFSET, $DISPLAY_LOGO;
    global $adminParam, $timezoneString, $logoSlot, $logoPath, $hasFirmwareSlot, $firmwarePath;
    $adminParam = isset($admin_param) && $admin_param !== '' ? $admin_param : 'Admin_Passwd';
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
}

/** The product name in a Cisco/Linksys User-Agent, or '' when it names none. */
function ciscoUserAgentProduct($ua) {
    if (preg_match('~^(?:Cisco|Linksys|Sipura)[/-]((?:CP-)?[A-Z0-9]+(?:-3PCC)?)~i', (string) $ua, $m)) {
        return $m[1];
    }
    return '';
}

/** The phone type for a product name ($PN or $PSN as the phone writes it). */
function ciscoType($product, $types) {
    $p = strtolower((string) $product);
    $mpp = (bool) preg_match('~-3pcc$|^cp-~', $p);
    $p = preg_replace('~-3pcc$~', '', $p);
    $candidates = array(str_replace('-', '', $p), 'spa' . $p, 'cp' . preg_replace('~^cp-?~', '', $p));
    foreach ($candidates as $ident) {
        if ($ident !== '' && isset($types[$ident])) {
            return $ident;
        }
    }
    if ($mpp || preg_match('~^[678][0-9]{3}$~', $p)) {
        return 'cisco_mpp_generic';
    }
    return 'spa_generic';
}

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
