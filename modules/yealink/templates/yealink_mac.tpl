#!version:1.0.0.1
@ // Keys: Yealink "SIP-T2 Series/T4 Series IP Phones Administrator Guide" (V81),
@ // configuration parameters for accounts, voice mail, time and security.
## provhost {$MODULE_ID}: {$PHONE_TYPE_NAME} {$MAC}
local_time.time_zone = {sprintf('%+g', $TIMEZONE_OFFSET / 3600)}
security.user_name.admin = admin
security.user_password = admin:{$ADMIN_PASSWORD}
@ // Per-phone provisioning credentials (provhost: docs/module-api.md): the phone answers
@ // the server's HTTP digest challenge with them; they need HTTP(S), so such a phone
@ // provisions over HTTP from now on (the address it used, or OPERATOR_IP on port 80).
@ if (($PROVISION_PASSWORD ?? '') !== '') {
@     $provHost = in_array($PROTO, array('http', 'https'), true) && isset($REQUEST_HEADERS['host'])
@         ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
static.auto_provision.server.url = {$PROTO === 'https' ? 'https' : 'http'}://{$provHost}/
static.auto_provision.server.username = {$PROVISION_USER}
static.auto_provision.server.password = {$PROVISION_PASSWORD}
@ } else {
static.auto_provision.server.url = tftp://{$OPERATOR_IP}/
@ }
@ // SIP NOTIFY "Event: check-sync" (RESYNC=SIPNOTIFY): re-provision without rebooting
@ // (0: reboot only when the NOTIFY carries reboot=true; 1: always reboot; 2: ignore).
sip.notify_reboot_enable = 0
@ // Digit map from dialplans/yealink.php (Administrator Guide, "Digit Map for All Lines").
@ if (isset($DIALPLAN)) {
dialplan.digitmap.enable = 1
dialplan.digitmap.string = {$DIALPLAN}
@ }
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     if ($line === null) {
account.{$i}.enable = 0
@         continue;
@     }
account.{$i}.enable = 1
account.{$i}.label = {$line['TELNUM']}
account.{$i}.display_name = {$line['USER_FULLNAME']}
account.{$i}.auth_name = {$line['SIP_USERNAME']}
account.{$i}.user_name = {$line['SIP_USERNAME']}
account.{$i}.password = {$line['SIP_PASSWORD']}
account.{$i}.sip_server.1.address = {$OPERATOR_IP}
account.{$i}.sip_server.1.port = 5060
voice_mail.number.{$i} = {$VOICEMAIL_EXT}
@ }
