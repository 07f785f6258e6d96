<?xml version="1.0" encoding="UTF-8"?>
@ // <mac>.cfg (Digium/Sangoma "XML Configuration"): <config> with <setting> elements
@ // and <accounts>; account index 0-5 maps to the line keys.
@ $x = function ($v) { return htmlspecialchars((string) $v, ENT_QUOTES | ENT_XML1, 'UTF-8'); };
@ $web = in_array($PROTO, array('http', 'https'), true);
@ $host = $web && isset($REQUEST_HEADERS['host']) ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
@ $auth = $PROVISION_PASSWORD !== '' ? rawurlencode($PROVISION_USER) . ':' . rawurlencode($PROVISION_PASSWORD) . '@' : '';
@ // time_zone takes a zone name; Etc/GMT-N is N hours east of UTC (POSIX sign).
@ $hours = intdiv($TIMEZONE_OFFSET, 3600);
@ $zone = $hours === 0 ? 'Etc/UTC' : sprintf('Etc/GMT%+d', -$hours);
<!-- provhost {$x($MODULE_ID)}: {$x($PHONE_TYPE_NAME)} {$MAC} -->
<config>
  <setting id="config_server_url" value="{$PROTO === 'https' ? 'https' : 'http'}://{$x($auth . $host)}/prov/{$x($MODULE_ID)}/{$x($IDENT)}/" />
  <setting id="login_password" value="{$x($ADMIN_PASSWORD)}" />
  <setting id="time_zone" value="{$zone}" />
  <setting id="enable_check_sync" value="1" />
  <accounts>
@ foreach ($LINES as $i => $line) {
    <account index="{$i}" status="1" register="1" account_id="{$x($line['SIP_USERNAME'])}" username="{$x($line['SIP_USERNAME'])}" authname="{$x($line['SIP_USERNAME'])}" password="{$x($line['SIP_PASSWORD'])}" line_label="{$x($line['TELNUM'])}" caller_id="{$x($line['USER_FULLNAME'] . ' <' . $line['TELNUM'] . '>')}" voicemail="{$x($VOICEMAIL_EXT)}"{isset($DIALPLAN) && $DIALPLAN !== '' ? ' dial_plan="' . $x($DIALPLAN) . '"' : ''}>
      <host_primary server="{$x($OPERATOR_IP)}" port="5060" transport="udp" reregister="300" />
    </account>
@ }
  </accounts>
</config>
