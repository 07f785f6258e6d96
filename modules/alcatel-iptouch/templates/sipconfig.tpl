@ // sipconfig-<MAC>.txt: INI sections (administrator manual, "Structure of the SIP
@ // configuration files"); an absent parameter keeps its default.
@ $line = $LINES[0] ?? null;
@ $clean = function ($s) { return str_replace(array("\r", "\n"), ' ', (string) $s); };
@ // timezone: "UT::<offset in minutes>:<DST start MMDDHH>:<DST end MMDDHH>"; the
@ // offset is the current one, so no DST rule.
# provhost {$MODULE_ID}: {strtoupper($MAC)}
[sip]
domain_name={$OPERATOR_IP}
proxy_addr={$OPERATOR_IP}
proxy_port=5060
registrar_addr={$OPERATOR_IP}
registrar_port=5060
@ if ($line !== null) {
authentication_realm={$OPERATOR_IP}
authentication_name={$clean($line['SIP_USERNAME'])}
authentication_password={$clean($line['SIP_PASSWORD'])}
user_name={$clean($line['SIP_USERNAME'])}
display_name={$clean($line['USER_FULLNAME'])}
@ }
@ if ($VOICEMAIL_EXT !== '') {
voice_mail_uri={$clean($VOICEMAIL_EXT)}
message_waiting_indication_uri={$clean($VOICEMAIL_EXT)}@{$OPERATOR_IP}
@ }

[sntp]
timezone=UT::{intdiv($TIMEZONE_OFFSET, 60)}:000000:000000

[telnet]
telnet_password={$clean($ADMIN_PASSWORD)}

[appl]
admin_password={$clean($ADMIN_PASSWORD)}
