<?php
// Reload for Zenitel IP stations (RESYNC=zenitel in phone_types): they read their
// configuration at boot, and their web interface reboots them on
// POST /goform/zForm_send_cmd with "message=Reboot" as user admin (Zenitel AlphaWiki,
// "IP Station web interface"; basic authentication).  provhost does not manage the
// station's web password (no provisioning parameter for it is documented): this is the
// factory password "alphaadmin".

$password = 'alphaadmin';
$fh = urlopenPhone('http', '/goform/zForm_send_cmd', array(
    'port' => (int) $web_port, 'user' => 'admin', 'password' => $password, 'auth' => 'basic',
    'body' => 'message=Reboot'));
$reply = '';
while (!feof($fh)) {
    $reply .= fread($fh, 8192);
}
fclose($fh);
echo 'reboot requested from ' . $MAC . ' (' . strlen($reply) . ' bytes of reply)';
