#!version:1.0.0.1
@ // The first line is required as is (Flyingvoice "Phones Auto Provisioning Guide":
@ // "File header ... must be placed in the first line").  Keys: Flyingvoice configuration
@ // parameter reference, which follows Yealink's names (account.N.*, voice_mail.number.N,
@ // local_time.*, static.auto_provision.*, static.security.*).
@ $scheme = $PROTO === 'https' ? 'https' : 'http';
@ // one value per line: a CR or LF in a name or credential must not start a new key
@ $v = function ($s) { return str_replace(array("\r", "\n"), ' ', (string) $s); };
@ $host = in_array($PROTO, array('http', 'https'), true) && isset($REQUEST_HEADERS['host'])
@     ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
## provhost {$MODULE_ID}: {$PHONE_TYPE_NAME} {$MAC}
local_time.time_zone = {$timezone}
local_time.summer_time = 0
static.security.user_name.admin = admin
static.security.user_password = admin:{$v($ADMIN_PASSWORD)}
static.auto_provision.server.url = {$scheme}://{$host}/prov/{$MODULE_ID}/{$folder}
@ if (($PROVISION_PASSWORD ?? '') !== '') {
static.auto_provision.server.username = {$v($PROVISION_USER)}
static.auto_provision.server.password = {$v($PROVISION_PASSWORD)}
@ }
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     if ($line === null) {
account.{$i}.enable = 0
@         continue;
@     }
account.{$i}.enable = 1
account.{$i}.label = {$v($line['TELNUM'])}
account.{$i}.display_name = {$v($line['USER_FULLNAME'] !== '' ? $line['USER_FULLNAME'] : $line['TELNUM'])}
account.{$i}.auth_name = {$v($line['SIP_USERNAME'])}
account.{$i}.user_name = {$v($line['SIP_USERNAME'])}
account.{$i}.password = {$v($line['SIP_PASSWORD'])}
account.{$i}.sip_server.1.address = {$OPERATOR_IP}
account.{$i}.sip_server.1.port = 5060
voice_mail.number.{$i} = {$v($VOICEMAIL_EXT)}
@     if (isset($DIALPLAN) && $DIALPLAN !== '') {
account.{$i}.dialplan.digitmap.enable = 1
account.{$i}.dialplan.digitmap.string = {$DIALPLAN}
@     }
@ }
