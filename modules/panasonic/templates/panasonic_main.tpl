# Panasonic SIP Phone Standard Format File # DO NOT CHANGE THIS LINE!
@ // Standard configuration file of one phone.  Parameter names: Panasonic Administrator
@ // Guides (KX-UT, KX-TGP, KX-HDV), section "Configuration File Parameters".  Format:
@ // XXX="yyy" with no blanks around '=', one parameter per line, CRLF, a final empty
@ // line, values without double quotes or line breaks (v() removes them).
@ $v = function ($s) { return str_replace(array('"', "\r", "\n"), '', (string) $s); };
# provhost {$MODULE_ID}: {$v($PHONE_TYPE_NAME)} {strtoupper($MAC)}
@ $scheme = in_array($PROTO, array('http', 'https'), true) ? $PROTO : 'tftp';
@ $server = $scheme !== 'tftp' && isset($REQUEST_HEADERS['host']) ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
@ // HTTP(S) provisioning credentials go into the URL, as the guides show
@ // ("http://id:pass@prov.com/{MAC}.cfg"); they need HTTP, so such a phone fetches over HTTP
@ // from now on.
@ $auth = '';
@ if (($PROVISION_PASSWORD ?? '') !== '') {
@     if ($scheme === 'tftp') { $scheme = 'http'; $server = $OPERATOR_IP; }
@     $auth = rawurlencode($PROVISION_USER) . ':' . rawurlencode($PROVISION_PASSWORD) . '@';
@ }
## Provisioning
CFG_STANDARD_FILE_PATH="{$v($scheme . '://' . $auth . $server)}/panasonic/{MODEL}/Config{MAC}.cfg"
CFG_PRODUCT_FILE_PATH=""
CFG_MASTER_FILE_PATH=""
CFG_RESYNC_FROM_SIP="check-sync"
CFG_CYCLIC="Y"
CFG_CYCLIC_INTVL="1440"
## Administration
ADMIN_ID="admin"
ADMIN_PASS="{$v($ADMIN_PASSWORD)}"
HTTPD_PORTOPEN_AUTO="Y"
## Time (TIME_ZONE: offset from UTC in minutes)
NTP_ADDR="{$OPERATOR_IP}"
TIME_ZONE="{intdiv((int) $TIMEZONE_OFFSET, 60)}"
LOCAL_TIME_ZONE_POSIX=""
DST_ENABLE="N"
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
## Line {$i}
@     if ($line === null) {
PHONE_NUMBER_{$i}=""
SIP_AUTHID_{$i}=""
SIP_PASS_{$i}=""
@         continue;
@     }
PHONE_NUMBER_{$i}="{$v($line['TELNUM'])}"
DISPLAY_NAME_{$i}="{$v($line['USER_FULLNAME'])}"
SIP_URI_{$i}="{$v($line['SIP_USERNAME'])}"
SIP_AUTHID_{$i}="{$v($line['SIP_USERNAME'])}"
SIP_PASS_{$i}="{$v($line['SIP_PASSWORD'])}"
SIP_RGSTR_ADDR_{$i}="{$OPERATOR_IP}"
SIP_RGSTR_PORT_{$i}="5060"
SIP_PRXY_ADDR_{$i}="{$OPERATOR_IP}"
SIP_PRXY_PORT_{$i}="5060"
SIP_SVCDOMAIN_{$i}="{$OPERATOR_IP}"
VM_NUMBER_{$i}="{$v($VOICEMAIL_EXT)}"
@     if (isset($DIALPLAN) && $DIALPLAN !== '') {
DIAL_PLAN_{$i}="{$v($DIALPLAN)}"
DIAL_PLAN_NOT_MATCH_ENABLE_{$i}="N"
@     }
@ }

