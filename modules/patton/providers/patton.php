<?php
// Patton SmartNode provider.
//
// /<mac>.cfg  the factory profile's request, shared with other vendors: ours only when
//             the HTTP User-Agent is a SmartNode's ("SmartNode (Model:SN4112/JS/EUI;
//             Serial:00A0BA08933C; Software Version:R6.2 ...)": the model names the
//             type), or, over TFTP (no User-Agent), the MAC is in Patton's 00:A0:BA block.
//             Over TFTP the model is unknown: we send a bootstrap configuration that keeps
//             the network up and moves provisioning to HTTP, where the model is named.
// /prov/patton/<mac>.cfg         the bootstrap's target: type from the User-Agent
// /prov/patton/<type>/<mac>.cfg  what a provisioned SmartNode fetches from then on

const PATTON_OUI = '00a0ba';

$prefix = '/prov/' . preg_quote($MODULE_ID, '~') . '/';

if (preg_match('~^' . $prefix . '([a-z0-9_]+)/([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    $type = strtolower($m[1]);
    serveConfig($m[2], isset($PHONE_TYPES[$type]) ? $type : 'patton_generic');
}

if (preg_match('~^' . $prefix . '([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    serveConfig($m[1], pattonType($USER_AGENT, $PHONE_TYPES));
}

if (preg_match('~^/([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    $mac = strtolower($m[1]);
    if (strpos($USER_AGENT, 'SmartNode') === 0) {
        serveConfig($mac, pattonType($USER_AGENT, $PHONE_TYPES));
    }
    if ($USER_AGENT === '' && strpos($mac, PATTON_OUI) === 0) {
        bootstrapValues();
        sendTemplate('patton_bootstrap');
    }
    passNext();
}

passNext();

/** The type named by "SmartNode (Model:SN4316/JS; ...", or the generic one. */
function pattonType($agent, $types) {
    if (preg_match('~^SmartNode \(Model:(SN[0-9]+)~', $agent, $ua)) {
        $ident = 'patton_' . strtolower($ua[1]);
        if (isset($types[$ident])) {
            return $ident;
        }
    }
    return 'patton_generic';
}

/** Values both templates use: the clock offset as "+hh:mm". */
function bootstrapValues() {
    global $TIMEZONE_OFFSET, $clockOffset;
    $abs = abs($TIMEZONE_OFFSET);
    $clockOffset = sprintf('%s%02d:%02d', $TIMEZONE_OFFSET < 0 ? '-' : '+', intdiv($abs, 3600),
                           intdiv($abs % 3600, 60));
}

function serveConfig($mac, $type) {
    associatePhone($mac, $type);
    bootstrapValues();
    sendTemplate('patton');
}
