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

passNext();
