@ // VTech configuration file: "module.setting = value" lines (Administrator Manual,
@ // "Configuration File Format"); the phone validates each module and skips invalid ones.
@ $host = in_array($PROTO, array('http', 'https'), true) && isset($REQUEST_HEADERS['host'])
@     ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
@ $withAuth = ($PROVISION_PASSWORD ?? '') !== '';
@ // one value per line: a CR or LF in a name or credential must not start a new key
@ $v = function ($s) { return str_replace(array("\r", "\n"), ' ', (string) $s); };
## provhost {$MODULE_ID}: {$PHONE_TYPE_NAME} {$MAC}
profile.admin.access_password = {$v($ADMIN_PASSWORD)}
time_date.timezone_dhcp_option = 0
time_date.selected_timezone = {$timezone}
time_date.daylight_saving_auto_adjust = 0
@ // The URL ends in "/": the phone fetches <model>.cfg then <model>_<MAC>.cfg there.
@ if ($withAuth) {
provisioning.server_address = {$PROTO === 'https' ? 'https' : 'http'}://{$host}/
provisioning.server_username = {$v($PROVISION_USER)}
provisioning.server_access_password = {$v($PROVISION_PASSWORD)}
@ } else {
provisioning.server_address = {in_array($PROTO, array('http', 'https'), true) ? $PROTO . '://' . $host : 'tftp://' . $OPERATOR_IP}/
@ }
provisioning.remote_check_sync_enable = 1
provisioning.bootup_check_enable = 1
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     if ($line === null) {
sip_account.{$i}.sip_account_enable = 0
@         continue;
@     }
sip_account.{$i}.sip_account_enable = 1
sip_account.{$i}.label = {$v($line['TELNUM'])}
sip_account.{$i}.display_name = {$v($line['USER_FULLNAME'] !== '' ? $line['USER_FULLNAME'] : $line['TELNUM'])}
sip_account.{$i}.user_id = {$v($line['SIP_USERNAME'])}
sip_account.{$i}.authentication_name = {$v($line['SIP_USERNAME'])}
sip_account.{$i}.authentication_access_password = {$v($line['SIP_PASSWORD'])}
sip_account.{$i}.primary_sip_server_address = {$OPERATOR_IP}
sip_account.{$i}.primary_sip_server_port = 5060
sip_account.{$i}.primary_registration_server_address = {$OPERATOR_IP}
sip_account.{$i}.primary_registration_server_port = 5060
sip_account.{$i}.access_code_retrieve_voicemail = {$v($VOICEMAIL_EXT)}
@     if (isset($DIALPLAN) && $DIALPLAN !== '') {
sip_account.{$i}.dial_plan = {$DIALPLAN}
@     }
@ }
