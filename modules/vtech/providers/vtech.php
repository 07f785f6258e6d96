<?php
// VTech VSP/VCS provider.
//
// /<model>.cfg      general file: answered "not found" (everything is per phone)
// /<model>_<MAC>.cfg MAC-specific file: the phone's configuration; the model in the name
//                   picks the phone type ("VSP725A" -> vtech_vsp725, unknown -> generic)
// (VTech "VSP725 Administrator and Provisioning Manual", "Configuration File Types").

if (preg_match('~^/(V(?:SP|CS)[0-9]{3}[A-Z]?)_([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    associatePhone($m[2], vtechType($m[1], $PHONE_TYPES));
    // time_date.selected_timezone takes a zone name; a fixed offset is the POSIX-style
    // "Etc/GMT" zone of the opposite sign (Etc/GMT-2 is UTC+2), whole hours only.
    $hours = (int) round($TIMEZONE_OFFSET / 3600);
    $timezone = $hours === 0 ? 'Etc/GMT' : sprintf('Etc/GMT%+d', -$hours);
    sendTemplate('vtech');
}

if (preg_match('~^/V(?:SP|CS)[0-9]{3}[A-Z]?\.cfg$~i', $PATH)) {
    sendNotFound();
}

passNext();

/** The phone type of a model name from a file name ("VSP726A" -> vtech_vsp726). */
function vtechType($model, $types) {
    $base = 'vtech_' . strtolower(substr($model, 0, 6));
    return isset($types[$base]) ? $base : 'vtech_generic';
}
