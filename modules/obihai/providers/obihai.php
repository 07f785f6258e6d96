<?php
// Obihai OBi voice adapter provider.
//
// /OBi<model>.xml                  the factory ConfigURL (tftp://$DHCPOPT66/$DM.xml, or
//                                  http:// when option 66 names a URL): one file per
//                                  model, so we send a redirect (templates/obihai_redirect.tpl)
//                                  that points ITSP provisioning at the per-MAC file
// /prov/obihai/<model>/<MAC>.xml   the adapter's configuration ($MAC expanded by the
//                                  adapter); the model in the path picks the phone type
// HTTP requests carry "OBIHAI/OBi202-3.2.2.5921" as User-Agent; names alone identify.

$prefix = '/prov/' . preg_quote($MODULE_ID, '~') . '/';

if (preg_match('~^' . $prefix . '(OBi[0-9]{3,4}[A-Z]*)/([0-9a-f]{12})\.xml$~i', $PATH, $m)) {
    associatePhone($m[2], obihaiType($m[1], $PHONE_TYPES));
    // LocalTimeZone takes "GMT+hh:mm" (Device Administration Guide, Time Service Settings).
    $abs = abs($TIMEZONE_OFFSET);
    $timezone = sprintf('GMT%s%02d:%02d', $TIMEZONE_OFFSET < 0 ? '-' : '+', intdiv($abs, 3600),
                        intdiv($abs % 3600, 60));
    sendTemplate('obihai');
}

if (preg_match('~^/(OBi[0-9]{3,4}[A-Z]*)\.xml$~i', $PATH, $m)) {
    $model = 'OBi' . substr($m[1], 3);
    sendTemplate('obihai_redirect');
}

passNext();

/** The phone type of a model name ("OBi202" -> obihai_obi202, unknown -> generic). */
function obihaiType($model, $types) {
    $ident = 'obihai_' . strtolower($model);
    return isset($types[$ident]) ? $ident : 'obihai_generic';
}
