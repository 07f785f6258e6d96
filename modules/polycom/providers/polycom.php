<?php
// Polycom provider: the two-layer configuration.
//
// /<mac>.cfg is the master configuration file: it is the same for every Polycom and just
// tells the phone which files to load next, with the phone substituting its own model and
// MAC address into CONFIG_FILES.  Yealinks ask for /<mac>.cfg too; the Yealink module runs
// before us (sequence 4) and takes the ones that announced themselves.

if (preg_match('~^/([0-9a-f]{12})\.cfg$~i', $PATH)) {
    sendTemplate('polycom_master');
}

if (preg_match('~^/polycom-([^/]+)-([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    $model = strtolower(str_replace(array('_', ' '), '', $m[1]));
    associatePhone($m[2], isset($PHONE_TYPES[$model]) ? $model : 'polycom_generic');
    sendTemplate('polycom_main');
}

// Uploads (UC Software Administrator Guide, "Master Configuration File": with
// LOG_FILE_DIRECTORY, OVERRIDES_DIRECTORY and CONTACTS_DIRECTORY empty the phone PUTs to the
// provisioning root): <mac>-boot.log and <mac>-app.log (logs), <mac>-phone.cfg and
// <mac>-web.cfg (settings changed on the phone or its web UI), <mac>-directory.xml and
// <mac>-calls.xml (local contacts and call lists).  The host stores them per phone.
if ($UPLOAD && preg_match('~^/([0-9a-f]{12})-(boot\.log|app\.log|phone\.cfg|web\.cfg|directory\.xml|calls\.xml)$~i',
        $PATH, $m)) {
    acceptUpload($m[1], strtolower($m[1]) . '-' . strtolower($m[2]));
}

passNext();
