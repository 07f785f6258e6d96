<?xml version="1.0" encoding="UTF-8"?>
@ // Fanvil XML configuration (sysConf) of firmware 2.x X- and V-series phones: the format
@ // the phone exports from its web UI ("Maintenance - Auto Provision", XML).  Element names
@ // follow that export; docs/phones/fanvil.md lists the sources.
@ $x = function ($text) { return htmlspecialchars(str_replace(array("\r", "\n"), '', (string) $text), ENT_QUOTES | ENT_XML1, 'UTF-8'); };
@ $server = in_array($PROTO, array('http', 'https'), true) && isset($REQUEST_HEADERS['host']) ? $PROTO . '://' . $REQUEST_HEADERS['host'] : 'http://' . $OPERATOR_IP;
@ $quarters = (int) round($TIMEZONE_OFFSET / 900);
<sysConf>
  <Version>2.0002</Version>
  <!-- provhost {$MODULE_ID}: {$x($PHONE_TYPE_NAME)} {$MAC} -->
  <ap>
    <DownloadCommonConf>1</DownloadCommonConf>
    <DownloadDeviceConf>1</DownloadDeviceConf>
    <SaveProvisionInfo>1</SaveProvisionInfo>
    <FlashServerIP>{$x($server)}</FlashServerIP>
    <FlashFileName>fanvil/{substr($IDENT, 7)}/$mac.cfg</FlashFileName>
    <FlashProtocol>4</FlashProtocol>
    <FlashMode>1</FlashMode>
    <FlashInterval>1</FlashInterval>
    <pnp>
      <PNPEnable>0</PNPEnable>
    </pnp>
    <opt>
      <DHCPOption>66</DHCPOption>
    </opt>
  </ap>
  <phone>
    <MenuPassword>{$x($ADMIN_PASSWORD)}</MenuPassword>
    <date>
      <SNTPServer>{$x($OPERATOR_IP)}</SNTPServer>
      <EnableSNTP>1</EnableSNTP>
      <SNTPTimeout>60</SNTPTimeout>
      <!-- TimeZone: offset from UTC in quarter hours -->
      <TimeZone>{$quarters}</TimeZone>
      <TimeZoneName>UTC{sprintf('%+d', intdiv($quarters, 4))}</TimeZoneName>
      <EnableDST>0</EnableDST>
    </date>
  </phone>
  <web>
    <account index="1">
      <Name>admin</Name>
      <Password>{$x($ADMIN_PASSWORD)}</Password>
      <Level>10</Level>
    </account>
  </web>
  <sip>
    <SIPPort>5060</SIPPort>
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
    <line index="{$i}">
@     if ($line === null) {
      <EnableReg>0</EnableReg>
    </line>
@         continue;
@     }
      <PhoneNumber>{$x($line['SIP_USERNAME'])}</PhoneNumber>
      <DisplayName>{$x($line['USER_FULLNAME'])}</DisplayName>
      <RegisterAddr>{$x($OPERATOR_IP)}</RegisterAddr>
      <RegisterPort>5060</RegisterPort>
      <RegisterUser>{$x($line['SIP_USERNAME'])}</RegisterUser>
      <RegisterPswd>{$x($line['SIP_PASSWORD'])}</RegisterPswd>
      <RegisterTTL>3600</RegisterTTL>
      <EnableReg>1</EnableReg>
      <ProxyAddr>{$x($OPERATOR_IP)}</ProxyAddr>
      <ProxyPort>5060</ProxyPort>
      <ProxyUser>{$x($line['SIP_USERNAME'])}</ProxyUser>
      <ProxyPswd>{$x($line['SIP_PASSWORD'])}</ProxyPswd>
      <MWINum>{$x($VOICEMAIL_EXT)}</MWINum>
    </line>
@ }
  </sip>
@ // Digit-map table (dialplans/fanvil.php: one rule per line), applied to outgoing calls
@ // on any line, sent as soon as a rule matches.
@ $rules = isset($DIALPLAN) && $DIALPLAN !== '' ? explode("\n", $DIALPLAN) : array();
@ if ($rules) {
  <dialplan>
@     foreach ($rules as $n => $rule) {
    <DialPlanRule index="{$n + 1}">
      <DigitMap>{$x($rule)}</DigitMap>
      <ApplyToCall>1</ApplyToCall>
      <MatchToSend>1</MatchToSend>
      <Line>0</Line>
    </DialPlanRule>
@     }
  </dialplan>
@ }
</sysConf>
