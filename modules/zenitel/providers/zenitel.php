<?php
// Zenitel IP station provider: ipst_config.cfg (common file) is not served, everything is
// in the station's own ipst_config_xx_xx_xx_xx_xx_xx.cfg (Zenitel AlphaWiki, "Auto
// provisioning of IP stations (SIP)").

if (preg_match('~^/ipst_config_((?:[0-9a-f]{2}_){5}[0-9a-f]{2})\.cfg$~i', $PATH, $m)) {
    associatePhone(str_replace('_', '', $m[1]), 'zenitel_ip_station');
    $line = $LINES[0] ?? null;
    sendTemplate('zenitel');
}

if (strcasecmp($PATH, '/ipst_config.cfg') === 0) {
    sendNotFound();
}

passNext();
