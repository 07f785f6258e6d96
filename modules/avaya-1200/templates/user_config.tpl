@ // SIP<MAC>.cfg: "PARAMETER value" lines, each shorter than 80 characters (longer
@ // lines are not read).  Parameters: Administration guide NN43170-601, "Device
@ // configuration file" and "Auto login".
@ $clean = function ($s) { return substr(preg_replace('~[\x00-\x1f\x7f]~', '', (string) $s), 0, 60); };
# provhost {$MODULE_ID}: {$IDENT} {strtoupper($MAC)}
ADMIN_PASSWORD {$clean($ADMIN_PASSWORD)}
TIMEZONE_OFFSET {$TIMEZONE_OFFSET}
SIP_DOMAIN1 {$OPERATOR_IP}
SERVER_IP1_1 {$OPERATOR_IP}
SERVER_PORT1_1 5060
SERVER_IP1_2 {$OPERATOR_IP}
SERVER_PORT1_2 5060
@ if ($VOICEMAIL_EXT !== '') {
VMAIL {$clean($VOICEMAIL_EXT)}
@ }
AUTOLOGIN_ENABLE USE_AUTOLOGIN_ID
@ foreach ($LINES as $i => $line) {
@     $key = sprintf('%02d', $i + 1);
AUTOLOGIN_ID_KEY{$key} {$clean($line['SIP_USERNAME'])}@{$OPERATOR_IP}
AUTOLOGIN_AUTHID_KEY{$key} {$clean($line['SIP_USERNAME'])}
AUTOLOGIN_PASSWD_KEY{$key} {$clean($line['SIP_PASSWORD'])}
@ }
