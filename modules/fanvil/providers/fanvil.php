<?php
// Fanvil provider: two-stage detection with a marker.
//
// 1. The model-common file (f0X4hw1.100.cfg, F0V00X600000.cfg, F0V0V6700000.cfg,
//    fanvil_v62_hwv1_0.txt, also under /fanvil/): remember the model for this address and
//    answer "not found", so the phone goes on to its MAC file.
// 2. /<mac>.cfg: a shared name (Yealink, Polycom...): ours only if this address announced a
//    Fanvil (marker) or the User-Agent says "Fanvil <model> <firmware> <mac>"; otherwise the
//    next module is asked.
// 3. /fanvil/<model>/<mac>.cfg: where our profile points the phone's own provisioning
//    ("phone flash" settings) afterwards; the name alone says it is a Fanvil, and which.
//    /fanvil/<mac>.cfg (set by hand) is ours too, of the model the agent or marker names.

$dirModel = null;
if (preg_match('~^/fanvil/([a-z][0-9a-z]*)/([0-9a-f]{12}\.cfg)$~i', $PATH, $m)) {
    $dirModel = strtolower($m[1]);           // /fanvil/<model>/<mac>.cfg: what we point to
    $name = '/' . $m[2];
} else {
    $name = preg_replace('~^/fanvil/~i', '/', $PATH);
}
$model = null;
if (preg_match('~^/f0([a-z][0-9a-z]*?)hw[0-9a-z._]*\.cfg$~i', $name, $m)) {
    $model = $m[1];                          // f0X4hw1.100.cfg, f0X3shw1.100.cfg
} elseif (preg_match('~^/f0(?:v0|00)0?([xv][0-9][0-9a-z]*?)0*\.cfg$~i', $name, $m)) {
    $model = $m[1];                          // F0V00X600000.cfg, F0V0V6700000.cfg
} elseif (preg_match('~^/fanvil_([a-z][0-9a-z]*)_hw[0-9a-z_]*\.txt$~i', $name, $m)) {
    $model = $m[1];                          // fanvil_v62_hwv1_0.txt
}
if ($model !== null) {
    setMarker('fanvil_model', strtolower($model));
    sendNotFound();
}

if (preg_match('~^/([0-9a-f]{12})\.cfg$~i', $name, $m) && $m[1] !== '000000000000') {
    $known = null;
    if ($dirModel !== null) {
        $known = $dirModel;
    } elseif (preg_match('~^Fanvil ([a-z][0-9a-z-]*(?: Pro)?) [0-9.]+~i', $USER_AGENT, $ua)) {
        $known = strtolower($ua[1]);
    } elseif (isset($fanvil_model) && $USER_AGENT === '') {
        // a marker, and no User-Agent saying otherwise (TFTP has none; over HTTP another
        // vendor's agent means another phone now uses this address)
        $known = $fanvil_model;
    } elseif ($name !== $PATH) {
        $known = '';                         // /fanvil/<mac>.cfg: a Fanvil of unknown model
    }
    if ($known === null) {
        passNext();
    }
    associatePhone($m[1], fanvilType($known, $PHONE_TYPES));
    sendTemplate('fanvil_mac');
}

if ($name !== $PATH) {
    sendNotFound(); // our directory: nothing else is served there
}

passNext();

/** The phone type for a model ("x4u-pro", "x6v2", "v67"): the longest known prefix. */
function fanvilType($model, $types) {
    if (preg_match('~^[xv][0-9]+[a-z]*~', strtolower($model), $m)) {
        for ($candidate = $m[0]; $candidate !== ''; $candidate = substr($candidate, 0, -1)) {
            if (isset($types['fanvil_' . $candidate])) {
                return 'fanvil_' . $candidate;
            }
            if (isset($types['fanvil_' . $candidate . '0'])) {
                return 'fanvil_' . $candidate . '0'; // X210 written X21 + zero padding
            }
        }
    }
    return 'fanvil_generic';
}
