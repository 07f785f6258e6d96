# provhost {$MODULE_ID}: {$PHONE_TYPE_NAME} {$MAC}
@ // Per-phone file SIP<MAC>.cnf (7960G/7940G Administration Guide for SIP 8.x,
@ // "Configuration Parameters"): lineN_* for every line key, read after SIPDefault.cnf.
@ // "sync": the phone restarts on a check-sync NOTIFY only when this value changed, so it
@ // is a digest of everything below.
@ $q = function ($s) { return '"' . str_replace(array('"', "\r", "\n"), '', (string) $s) . '"'; };
@ $sync = substr(md5(serialize(array($LINES, $ADMIN_PASSWORD, $OPERATOR_IP, $VOICEMAIL_EXT,
@     $TIMEZONE_OFFSET, $DIALPLAN ?? ''))), 0, 8);
sync: {$sync}
phone_label: {$q($LINES[0]['TELNUM'] ?? '')}
phone_password: {$q($ADMIN_PASSWORD)}
proxy1_address: {$q($OPERATOR_IP)}
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     if ($line === null) {
line{$i}_name: ""
@         continue;
@     }
line{$i}_name: {$q($line['SIP_USERNAME'])}
line{$i}_authname: {$q($line['SIP_USERNAME'])}
line{$i}_password: {$q($line['SIP_PASSWORD'])}
line{$i}_displayname: {$q($line['USER_FULLNAME'])}
line{$i}_shortname: {$q($line['TELNUM'])}
@ }
