<?php
// Digium D-series / Sangoma P-series provider.
//
// /digium/<mac>.cfg             option 66 pointed at http://<provhost>/digium/
// /prov/<module>/<type>/<mac>.cfg  where config_server_url sends the phone afterwards
// /<mac>.cfg                    only with a Digium or Sangoma User-Agent (the name is
//                               the Polycom catch-all's too); otherwise pass on.
// Model: from the User-Agent ("... D65 ..." or "... P330 ..."), else the generic type.

$model = preg_match('~\b(Digium|Sangoma)\b.*?\b([DP][0-9]{2,3})\b~i', $USER_AGENT, $ua)
    ? strtolower($ua[2]) : null;

if (preg_match('~^/prov/' . preg_quote($MODULE_ID, '~') . '/([a-z0-9_.-]+)/([0-9a-f]{12})\.cfg$~i',
        $PATH, $m)) {
    associatePhone($m[2], isset($PHONE_TYPES[$m[1]]) ? $m[1] : 'digium_generic');
    sendTemplate('digium_mac');
}

if (preg_match('~^(/digium)?/([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    if ($m[1] === '' && $model === null) {
        passNext();
    }
    associatePhone($m[2], digiumType($model, $PHONE_TYPES));
    sendTemplate('digium_mac');
}

if (preg_match('~^/digium/~i', $PATH)) {
    sendNotFound(); // contacts, firmware and the like: nothing from us
}

passNext();

/** The phone type of a model name ("d65", "p330"). */
function digiumType($model, $types) {
    if ($model !== null) {
        foreach (array('digium_', 'sangoma_') as $family) {
            if (isset($types[$family . $model])) {
                return $family . $model;
            }
        }
    }
    return 'digium_generic';
}
