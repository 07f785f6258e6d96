@ // SmartNode startup-config in CLI syntax (Patton "SmartNode Series Software
@ // Configuration Guide": System/administrator, Clock, Provisioning, Actions, IP Context,
@ // CS Context (routing and mapping tables, interfaces), Authentication and Location
@ // Service, SIP Gateway, FXS ports).  One FXS port per line: port fxs 0 <n>.
@ if (in_array($PROTO, array('http', 'https'), true)) {
@     $location = $PROTO . '://' . ($REQUEST_HEADERS['host'] ?? $OPERATOR_IP);
@ } else {
@     $location = 'tftp://$(dhcp.66)';
@ }
@ // one CLI token per value: a blank, CR or LF in a credential must not add words or commands
@ $t = function ($s) { return preg_replace('~[\s]+~', '_', (string) $s); };
@ $routes = isset($DIALPLAN) && $DIALPLAN !== '' ? explode(' ', $DIALPLAN) : array();
@ $used = array();
@ foreach ($LINES as $n => $line) { $used[$n] = $line; }
#----------------------------------------------------------------#
# provhost {$MODULE_ID}: {$PHONE_TYPE_NAME} {$MAC}
#----------------------------------------------------------------#
cli version 3.20
clock local default-offset {$clockOffset}
administrator admin password {$t($ADMIN_PASSWORD)}
timer PROVHOST_BOOT now + 1 minute "provisioning execute PF_PROVHOST"

profile provisioning PF_PROVHOST
  destination configuration
  location 1 {$location}/prov/{$MODULE_ID}/{$IDENT}/$(system.mac).cfg
  activation reload graceful

actions
  rule PROVHOST_CHECK_SYNC
    condition sip gateway:GW_PROVHOST NOTIFY_CHECK_SYNC_RELOAD
    action "provisioning execute PF_PROVHOST"

context ip router
  interface eth0
    ipaddress dhcp

context cs switch
  routing-table called-uri RT_FROM_PBX
@ foreach ($used as $n => $line) {
    route sip:{$t($line['SIP_USERNAME'])}@.% dest-interface IF_FXS_{$n}
@ }
@ foreach ($used as $n => $line) {

  mapping-table calling-e164 to calling-e164 MAP_CALLER_{$n}
    map .% to {$t($line['SIP_USERNAME'])}

  routing-table called-e164 RT_FROM_FXS_{$n}
@     foreach ($routes as $route) {
    route {$route} dest-interface IF_SIP_PBX MAP_CALLER_{$n}
@     }
    route .%T dest-interface IF_SIP_PBX MAP_CALLER_{$n}
@ }

  interface sip IF_SIP_PBX
    bind context sip-gateway GW_PROVHOST
    route call dest-table RT_FROM_PBX
    remote {$OPERATOR_IP} 5060
@ foreach ($used as $n => $line) {

  interface fxs IF_FXS_{$n}
    route call dest-table RT_FROM_FXS_{$n}
    caller-id-presentation pre-ring
    subscriber-number {$t($line['TELNUM'])}
@ }

context cs switch
  no shutdown

authentication-service AUTH_PROVHOST
@ foreach ($used as $n => $line) {
  username {$t($line['SIP_USERNAME'])} password {$t($line['SIP_PASSWORD'])}
@ }

location-service LOC_PROVHOST
  domain 1 {$OPERATOR_IP}

  identity-group PBX
    registration outbound
      registrar {$OPERATOR_IP} 5060
      lifetime 600
      register auto
    message inbound
      message-server {$OPERATOR_IP} 5060
      subscribe implicit
@ foreach ($used as $n => $line) {

  identity {$t($line['SIP_USERNAME'])} inherits PBX
    authentication outbound
      authenticate 1 authentication-service AUTH_PROVHOST username {$t($line['SIP_USERNAME'])}
@ }

context sip-gateway GW_PROVHOST
  interface IF_GW_PROVHOST
    bind interface eth0 context router port 5060

context sip-gateway GW_PROVHOST
  bind location-service LOC_PROVHOST
  no shutdown

port ethernet 0 0
  medium auto
  encapsulation ip
  bind interface eth0 router
  no shutdown
@ for ($n = 0; $n < $MAX_LINES; $n++) {

port fxs 0 {$n}
@     if (isset($used[$n])) {
  encapsulation cc-fxs
  bind interface IF_FXS_{$n} switch
  no shutdown
@     } else {
  shutdown
@     }
@ }
