<?php
// Cisco SPA 30x/50x/525G and Linksys SPA 9xx provider.
//
// File names (Cisco "SPA300 Series and SPA500 Series IP Phones Provisioning Guide",
// section "Profile Rule"): out of the box the phones ask for /spa$PSN.cfg (e.g.
// /spa504G.cfg; Linksys: /spa941.cfg).  We answer that with a tiny profile that points
// Profile_Rule at /Cisco/$PN/$MA.cfg ($PN = product name, $MA = MAC address, both
// substituted by the phone) and makes it resync at once; from then on every request
// names the model and the MAC, and we can answer with the phone's own configuration.

if (preg_match('~^/Cisco/(SPA[0-9A-Z]*)/([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    $model = strtolower($m[1]);
    associatePhone($m[2], isset($PHONE_TYPES[$model]) ? $model : 'spa_generic');

    // Time_Zone takes "GMT+hh:mm" (Provisioning Guide, Regional parameters).
    $offset = abs($TIMEZONE_OFFSET);
    $timezoneString = sprintf('GMT%s%02d:%02d', $TIMEZONE_OFFSET < 0 ? '-' : '+',
                              intdiv($offset, 3600), intdiv($offset % 3600, 60));
    sendTemplate('spa_main');
}

if (preg_match('~^/(spa[0-9]{3}[a-z]?)\.cfg$~i', $PATH)) {
    // The factory default request: we cannot know which phone asks, so only redirect.
    sendTemplate('spa_redirect');
}

passNext();
