<?xml version="1.0" encoding="UTF-8" ?>
@ // config.<mac>.xml: <settings> of <setting id="..." value="..."/> (ALE Myriad Series
@ // SIP Phones Administrator Guide, "Configuration files"; parameter names of its
@ // configuration template).
@ $x = function ($v) { return htmlspecialchars((string) $v, ENT_QUOTES | ENT_XML1, 'UTF-8'); };
@ $web = in_array($PROTO, array('http', 'https'), true);
@ $host = $web && isset($REQUEST_HEADERS['host']) ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
@ $offset = abs(intdiv($TIMEZONE_OFFSET, 60));
@ $zone = sprintf('%s%02d:%02d', $TIMEZONE_OFFSET < 0 ? '-' : '+', intdiv($offset, 60), $offset % 60);
<!-- provhost {$x($MODULE_ID)}: {$x($PHONE_TYPE_NAME)} {$MAC} -->
<settings>
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     if ($line === null) {
  <setting id="Account{$i}Enable" value="false" />
@         continue;
@     }
  <setting id="Account{$i}Enable" value="true" />
  <setting id="Account{$i}Label" value="{$x($line['TELNUM'])}" />
  <setting id="Account{$i}DisplayName" value="{$x($line['USER_FULLNAME'])}" />
  <setting id="Account{$i}UserName" value="{$x($line['SIP_USERNAME'])}" />
  <setting id="Account{$i}RegName" value="{$x($line['SIP_USERNAME'])}" />
  <setting id="Account{$i}Password" value="{$x($line['SIP_PASSWORD'])}" />
  <setting id="Account{$i}Server1Address" value="{$x($OPERATOR_IP)}" />
  <setting id="Account{$i}Server1Port" value="5060" />
  <setting id="Account{$i}VmNumber" value="{$x($VOICEMAIL_EXT)}" />
@     if (isset($DIALPLAN) && $DIALPLAN !== '') {
  <setting id="Account{$i}DigitMapEnable" value="true" />
  <setting id="Account{$i}DigitMap" value="{$x($DIALPLAN)}" />
@     }
@ }
  <setting id="DeviceSecurityAdminName" value="admin" />
  <setting id="DeviceSecurityAdminPwd" value="{$x($ADMIN_PASSWORD)}" />
  <setting id="SettingTimeZone" value="{$zone}" />
  <setting id="SettingDstEnable" value="0" />
  <setting id="DeviceProvisionServerUrl" value="{$web ? $PROTO : 'tftp'}://{$x($host)}/prov/{$x($MODULE_ID)}/{$x($IDENT)}/" />
  <setting id="DeviceProvisionServerUsername" value="{$x($PROVISION_USER)}" />
  <setting id="DeviceProvisionServerPassword" value="{$x($PROVISION_PASSWORD)}" />
</settings>
