<?php
// HTTP resync for the Cisco SPA 30x/50x/525G (RESYNC=spa in phone_types).
//
// The phone's web server reloads the profile named by Profile_Rule when it receives
// GET http://PHONE/admin/resync (Cisco "SPA300 Series and SPA500 Series IP Phones
// Provisioning Guide", "Resync and Reboot URLs"; the same URL on the SPA525G).  It asks
// for the admin account: user "admin" and the phone's admin password.  Unlike SIP NOTIFY
// this works on a phone that has no line configured.
//
// The password is the one the phone last read ($LAST_CONFIG): after the administrator
// changes it, the phone still has the old one until this very resync delivers the new.
// A phone that never read a profile from us has no admin password yet (factory state):
// then no credentials are sent.  The web port is web_port in phone_types (the profile
// sets Web_Server_Port to the same value).

$password = isset($LAST_CONFIG['ADMIN_PASSWORD']) ? (string) $LAST_CONFIG['ADMIN_PASSWORD'] : '';
$options = array('port' => (int) $web_port);
if ($password !== '') {
    // 'auto': answer whichever challenge the phone sends (firmware differs: basic or digest)
    $options += array('user' => 'admin', 'password' => $password, 'auth' => 'auto');
}

$fh = urlopenPhone('http', '/admin/resync', $options);
$reply = '';
while (!feof($fh)) {
    $reply .= fread($fh, 8192);
}
fclose($fh);

echo 'resync requested from ' . $IDENT . ' ' . $MAC . ' (' . strlen($reply) . ' bytes of reply)';
