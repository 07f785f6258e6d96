# provhost {$MODULE_ID}: {$PHONE_TYPE_NAME} {strtoupper($MAC)}
@ // Parameters: Aastra "6700i, 6800i and 9000i Series SIP IP Phones Administrator Guide"
@ // (41-001343-02), Appendix A "Configuration Parameters": admin password, time zone,
@ // configuration server, SIP local dial plan, per-line SIP settings.
@ // One "key: value" per line; a value is read up to the end of the line.
@ $v = function ($s) { return str_replace(array("\r", "\n"), ' ', (string) $s); };
admin password: {$v($ADMIN_PASSWORD)}
time zone name: Custom
time zone minutes: {intval(-$TIMEZONE_OFFSET / 60)}
dst minutes: 0
@ // Configuration server: where the phone fetches aastra.cfg, <model>.cfg and <MAC>.cfg
@ // ("download protocol", "tftp server", "http server", "http port", "http path").  The
@ // phone cannot be given HTTP credentials by file, so provhost's per-phone provisioning
@ // password is not written here (the phone stays "pending", never locked out).
@ if (in_array($PROTO, array('http', 'https'), true) && isset($REQUEST_HEADERS['host'])) {
@     $hp = explode(':', $REQUEST_HEADERS['host'], 2);
download protocol: {strtoupper($PROTO)}
{$PROTO} server: {$v($hp[0])}
{$PROTO} port: {intval($hp[1] ?? ($PROTO === 'https' ? 443 : 80))}
{$PROTO} path:
@ } else {
download protocol: TFTP
tftp server: {$v($OPERATOR_IP)}
@ }
@ // check-sync NOTIFY (RESYNC=SIPNOTIFY) is honoured without further settings.
@ if (isset($DIALPLAN)) {
sip dial plan: "{$v($DIALPLAN)}"
@ }
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     if ($line === null) {
sip line{$i} user name:
sip line{$i} auth name:
sip line{$i} password:
@         continue;
@     }
sip line{$i} screen name: {$v($line['USER_FULLNAME'])}
sip line{$i} screen name 2: {$v($line['TELNUM'])}
sip line{$i} display name: {$v($line['USER_FULLNAME'])}
sip line{$i} user name: {$v($line['SIP_USERNAME'])}
sip line{$i} auth name: {$v($line['SIP_USERNAME'])}
sip line{$i} password: {$v($line['SIP_PASSWORD'])}
sip line{$i} mode: 0
sip line{$i} proxy ip: {$v($OPERATOR_IP)}
sip line{$i} proxy port: 5060
sip line{$i} registrar ip: {$v($OPERATOR_IP)}
sip line{$i} registrar port: 5060
sip line{$i} vmail: {$v($VOICEMAIL_EXT)}
@ }
