<?php
// IP Touch resync: the phone has no SIP NOTIFY handler, but its telnet service accepts
// the phone password and "reset soft", which restarts it and makes it fetch its files
// again.  Authenticate with the password the phone last read ($LAST_CONFIG): it does
// not know a new one yet.
$password = isset($LAST_CONFIG['ADMIN_PASSWORD']) ? $LAST_CONFIG['ADMIN_PASSWORD'] : '';
$conn = connectPhone('tcp', (int) $telnet_port);
expectText($conn, 'Password');
fwrite($conn, $password . "\r\n");
expectText($conn, 'Login accepted');
fwrite($conn, "reset soft\r\n");
fclose($conn);

/** Read until $text appears (telnet negotiation bytes and prompts are skipped). */
function expectText($conn, $text) {
    $seen = '';
    while (strpos($seen, $text) === false) {
        $chunk = fread($conn, 512);
        if ($chunk === false || $chunk === '') {
            throw new RuntimeException("no '$text' from the phone (got: "
                . substr(preg_replace('~[^\x20-\x7e]~', '.', $seen), -80) . ')');
        }
        $seen .= $chunk;
        if (strlen($seen) > 65536) {
            throw new RuntimeException("no '$text' from the phone");
        }
    }
}
