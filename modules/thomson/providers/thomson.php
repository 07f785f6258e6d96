<?php
// Technicolor / Thomson provider.
//
// /ST2030S.inf, /TB30S.inf: the information file; it only points the phone at the
//     directory of its MAC file (here: the root of the server it used).
// /ST2030S_<MAC>.txt, /TB30S_<MAC>.txt: the phone's own file.  The name carries model
//     and MAC, and no other vendor uses it.  Other <model>S_*.txt names (the common file
//     some set-ups use) are answered "not found".

if (preg_match('~^/(ST2030|TB30)S\.inf$~i', $PATH, $m)) {
    sendTemplate('inf');
}

if (preg_match('~^/(ST2030|TB30)S_(.*)\.txt$~i', $PATH, $m)) {
    if (!preg_match('~^[0-9a-f]{12}$~i', $m[2])) {
        sendNotFound();
    }
    associatePhone($m[2], 'thomson_' . strtolower($m[1]));
    sendTemplate('thomson_mac');
}

passNext();
