<?php
// Panasonic KX-UT / KX-TGP / KX-HDV provider.
//
// 1. /{MODEL}.cfg (e.g. /KX-UT136.cfg): the pre-provisioning file a phone fresh from the
//    factory asks for when DHCP option 66 names only this server (Administrator Guide,
//    "Obtaining a Provisioning Server Address from DHCP Options": "If DHCP option 66 does
//    not include <scheme>, {MODEL}.cfg is obtained").  We cannot know which phone asks, so
//    the file only points CFG_STANDARD_FILE_PATH at a name carrying model and MAC; the
//    model is also remembered for this address (marker) for phones set up by hand.
// 2. /panasonic/{MODEL}/Config{MAC}.cfg: the phone's own standard configuration file.
// 3. /Config{MAC}.cfg: the guides' example standard-file name, for phones pointed here by
//    hand; the model comes from the User-Agent ("Panasonic_KX-UT136/01.133 (0080f0aabbcc)"),
//    else from the marker, else the generic type.

if (preg_match('~^/(KX-[A-Z0-9]+)(?:-[A-Z0-9]+)?\.cfg$~i', $PATH, $m)) {
    setMarker('panasonic_model', strtoupper($m[1]));
    sendTemplate('panasonic_preprov');
}

if (preg_match('~^/panasonic/(KX-[A-Z0-9-]+)/Config([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    associatePhone($m[2], panasonicType($m[1], $PHONE_TYPES));
    sendTemplate('panasonic_main');
}

if (preg_match('~^/Config([0-9a-f]{12})\.cfg$~i', $PATH, $m)) {
    $model = 'KX-SIP';
    if (preg_match('~^Panasonic_(KX-[A-Z0-9-]+)/~i', $USER_AGENT, $ua)) {
        $model = $ua[1];
    } elseif (isset($panasonic_model)) {
        $model = $panasonic_model;
    }
    associatePhone($m[1], panasonicType($model, $PHONE_TYPES));
    sendTemplate('panasonic_main');
}

if (preg_match('~^/panasonic/~i', $PATH)) {
    sendNotFound(); // our directory: nothing else is served there
}

passNext();

/** The phone type for a model name as the phone spells it (KX-UT136, KX-TGP600-CE...). */
function panasonicType($model, $types) {
    if (preg_match('~^KX-([A-Z]+[0-9]+)~i', $model, $m)) {
        $ident = 'kx_' . strtolower($m[1]);
        if (isset($types[$ident])) {
            return $ident;
        }
    }
    return 'panasonic_generic';
}
