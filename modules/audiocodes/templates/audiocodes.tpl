@ // 400HD configuration file: one "parameter=value" per line, no spaces around '='
@ // (AudioCodes "400HD Series IP Phones Administrator's Manual", Generic SIP, section
@ // "Configuration File" / "File Syntax").  Lines are voip/line/0 .. voip/line/N-1.
@ $host = in_array($PROTO, array('http', 'https'), true) && isset($REQUEST_HEADERS['host'])
@     ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
@ $scheme = $PROTO === 'https' ? 'https' : 'http';
@ // one value per line: a CR or LF in a name or credential must not start a new key
@ $v = function ($s) { return str_replace(array("\r", "\n"), ' ', (string) $s); };
@ $userinfo = ($PROVISION_PASSWORD ?? '') !== ''
@     ? rawurlencode($PROVISION_USER) . ':' . rawurlencode($PROVISION_PASSWORD) . '@' : '';
@ // system/password holds the admin password MD5-crypted, as the phone itself exports it;
@ // the salt is derived from the MAC so that the file only changes with the password.
@ $salt = strtr(substr(base64_encode(md5('provhost' . $MAC, true)), 0, 8), '+', '.');
system/user_name=admin
system/password={crypt($ADMIN_PASSWORD, '$1$' . $salt . '$')}
network/lan/dhcp/ntp/gmt_offset/enabled=0
system/ntp/gmt_offset={$gmtOffset}
@ // Provisioning: from now on the phone fetches its own file by a name only this module
@ // answers (<MAC> is expanded by the phone); credentials in the URL when provhost gave
@ // the phone some (docs/module-api.md, $PROVISION_USER).
provisioning/method=STATIC
provisioning/configuration/url={$scheme}://{$userinfo}{$host}/prov/{$MODULE_ID}/{$IDENT}/<MAC>.cfg
@ // SIP NOTIFY "Event: check-sync" (RESYNC=SIPNOTIFY) reloads the configuration without
@ // a forced reboot.
provisioning/check_sync/enabled=1
voip/services/notify/check_sync/force_reboot_enabled=0
voip/signalling/sip/use_proxy=1
voip/signalling/sip/proxy_address={$OPERATOR_IP}
voip/signalling/sip/proxy_port=5060
voip/signalling/sip/sip_registrar/enabled=1
voip/signalling/sip/sip_registrar/addr={$OPERATOR_IP}
voip/signalling/sip/sip_registrar/port=5060
voip/services/msg_waiting_ind/enabled=1
@ if (isset($DIALPLAN) && $DIALPLAN !== '') {
voip/signalling/sip/digit_map={$DIALPLAN}
@ }
voip/services/msg_waiting_ind/voice_mail_number={$v($VOICEMAIL_EXT)}
@ for ($i = 0; $i < $MAX_LINES; $i++) {
@     $line = $LINES[$i] ?? null;
@     if ($line === null) {
voip/line/{$i}/enabled=0
@         continue;
@     }
voip/line/{$i}/enabled=1
voip/line/{$i}/id={$v($line['SIP_USERNAME'])}
voip/line/{$i}/description={$v($line['USER_FULLNAME'] !== '' ? $line['USER_FULLNAME'] : $line['TELNUM'])}
voip/line/{$i}/extension_display={$v($line['TELNUM'])}
voip/line/{$i}/auth_name={$v($line['SIP_USERNAME'])}
voip/line/{$i}/auth_password={$v($line['SIP_PASSWORD'])}
@ }
