#!version:1.0.0.1
@ // Keys: Yealink "SIP-T2 Series/T19(P) E2/T4 Series/T5 Series/CP920 IP Phones
@ // Administrator Guide" V81 and "W60 Administrator Guide" (accounts, handsets, voice
@ // mail, time, security, auto provisioning).  The first line must be the version header.
@ // Values run to the end of the line; a line break inside one would start a new key.
@ $v = function ($s) { return str_replace(array("\r", "\n"), ' ', (string) $s); };
## provhost {$MODULE_ID}: {$v($PHONE_TYPE_NAME)} {$MAC}
@ // local_time.time_zone takes the UTC offset in hours, "+5:30" for half hours.
@ $tzMinutes = intdiv(abs((int) $TIMEZONE_OFFSET), 60);
@ $tz = ($TIMEZONE_OFFSET < 0 ? '-' : '+') . intdiv($tzMinutes, 60)
@     . ($tzMinutes % 60 ? sprintf(':%02d', $tzMinutes % 60) : '');
local_time.time_zone = {$tz}
local_time.summer_time = 0
security.user_name.admin = admin
security.user_password = admin:{$v($ADMIN_PASSWORD)}
@ // Per-phone provisioning credentials (provhost: docs/module-api.md): the phone answers
@ // the server's HTTP digest challenge with them; they need HTTP(S), so such a phone
@ // provisions over HTTP from now on (the address it used, or OPERATOR_IP on port 80).
@ if (($PROVISION_PASSWORD ?? '') !== '') {
@     $provHost = in_array($PROTO, array('http', 'https'), true) && isset($REQUEST_HEADERS['host'])
@         ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
static.auto_provision.server.url = {$PROTO === 'https' ? 'https' : 'http'}://{$v($provHost)}/
static.auto_provision.server.username = {$PROVISION_USER}
static.auto_provision.server.password = {$PROVISION_PASSWORD}
@ } else {
static.auto_provision.server.url = tftp://{$OPERATOR_IP}/
@ }
@ // Firmware (Administrator Guide, "Firmware Upgrade"): the image of the type's slot when
@ // one was uploaded; the phone upgrades when its version differs.  Empty: no upgrade.
@ foreach (phoneFirmwares('firmware', true) as $slot) {
static.firmware.url = tftp://{$OPERATOR_IP}/prov/{$MODULE_ID}/firmware/{$slot}/{$FIRMWARE_TYPES[$slot]['FW_CONTENT_ID']}.rom
@     break;
@ }
@ // SIP NOTIFY "Event: check-sync" (RESYNC=SIPNOTIFY): re-provision without rebooting
@ // (0: reboot only when the NOTIFY carries reboot=true; 1: always reboot; 2: ignore).
sip.notify_reboot_enable = 0
@ // Digit map from dialplans/yealink.php (Administrator Guide, "Digit Map for All Lines").
@ if (isset($DIALPLAN)) {
dialplan.digitmap.enable = 1
dialplan.digitmap.string = {$v($DIALPLAN)}
@ }
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     if ($line === null) {
account.{$i}.enable = 0
@         continue;
@     }
account.{$i}.enable = 1
account.{$i}.label = {$v($line['TELNUM'])}
account.{$i}.display_name = {$v($line['USER_FULLNAME'])}
account.{$i}.auth_name = {$v($line['SIP_USERNAME'])}
account.{$i}.user_name = {$v($line['SIP_USERNAME'])}
account.{$i}.password = {$v($line['SIP_PASSWORD'])}
account.{$i}.sip_server.1.address = {$OPERATOR_IP}
account.{$i}.sip_server.1.port = 5060
voice_mail.number.{$i} = {$v($VOICEMAIL_EXT)}
@     // DECT base: handset i rings for, and dials out on, account i only (W60
@     // Administrator Guide, "Handset Settings"); its name shows on the handset.
@     if ((int) $dect === 1) {
handset.{$i}.name = {$v($line['USER_FULLNAME'] !== '' ? $line['USER_FULLNAME'] : $line['TELNUM'])}
handset.{$i}.incoming_lines = {$i}
handset.{$i}.dial_out_lines = {$i}
handset.{$i}.dial_out_default_line = {$i}
@     }
@ }
