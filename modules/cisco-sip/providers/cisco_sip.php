<?php
// Cisco 79xx SIP firmware and ATA190 provider (file names: see phone_types).
//
// Every per-phone name carries the MAC in upper case; we accept any case.  The names are
// Cisco's own (SEP, SIP, ATA prefixes), so no other vendor's phone asks for them.

// Security (CTL/ITL) files: we run no CUCM and sign nothing; "not found" makes the phone
// go on in non-secure mode.  The 7940/7960 image list: no firmware served (yet), so the
// phone keeps the image it runs.
if (preg_match('~^/(?:CTL|ITL)(?:SEP|ATA)[0-9A-F]{12}\.tlv$|^/(?:CTL|ITL)File\.tlv$|^/OS79XX\.TXT$~i', $PATH)) {
    sendNotFound();
}

if (preg_match('~^/SEP([0-9A-F]{12})\.cnf\.xml$~i', $PATH, $m)) {
    associatePhone($m[1], 'cisco_79xx_sip');
    sendTemplate('sep_cnf');
}

if (preg_match('~^/ATA([0-9A-F]{12})\.cnf\.xml$~i', $PATH, $m)) {
    associatePhone($m[1], 'cisco_ata190');
    sendTemplate('sep_cnf');
}

if (preg_match('~^/SIP([0-9A-F]{12})\.cnf$~i', $PATH, $m)) {
    associatePhone($m[1], 'cisco_7940_7960');
    sendTemplate('sip_mac_cnf');
}

if (strcasecmp($PATH, '/SIPDefault.cnf') === 0) {
    sendTemplate('sip_default_cnf');
}

if (strcasecmp($PATH, '/XMLDefault.cnf.xml') === 0) {
    sendTemplate('xml_default');
}

if (strcasecmp($PATH, '/provhost-cisco-dialplan.xml') === 0) {
    sendTemplate('dialplan');
}

// RINGLIST.DAT (the 7940/7960's ring tones): none of ours.
sendNotFound();
