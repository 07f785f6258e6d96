<?xml version="1.0" encoding="UTF-8"?>
@ // SEP<MAC>.cnf.xml / ATA<MAC>.cnf.xml (Cisco "Unified IP Phone 7941G/7961G/7970G
@ // Administration Guide for SIP" 8.x/9.x, "Configuration File"; ATA 190 Administration
@ // Guide): the whole configuration in one <device>.  Lines are <line button="N">; the
@ // phone registers each at <proxy> (USECALLMANAGER = the callManager below = the PBX).
@ $x = function ($s) { return htmlspecialchars((string) $s, ENT_XML1 | ENT_QUOTES, 'UTF-8'); };
@ // <timeZone> takes the Windows-style zone names of the firmware's time zone list.
@ $zones = array(-36000 => 'Hawaiian Standard Time', -32400 => 'Alaskan Standard/Daylight Time',
@     -28800 => 'Pacific Standard/Daylight Time', -25200 => 'Mountain Standard/Daylight Time',
@     -21600 => 'Central Standard/Daylight Time', -18000 => 'Eastern Standard/Daylight Time',
@     -14400 => 'Atlantic Standard/Daylight Time', -12600 => 'Newfoundland Standard/Daylight Time',
@     -10800 => 'SA Eastern Standard Time', 0 => 'Greenwich Standard Time',
@     3600 => 'Central Europe Standard/Daylight Time', 7200 => 'GTB Standard/Daylight Time',
@     10800 => 'Russian Standard/Daylight Time', 19800 => 'India Standard Time',
@     28800 => 'China Standard/Daylight Time', 32400 => 'Tokyo Standard Time',
@     34200 => 'Cen. Australia Standard/Daylight Time', 36000 => 'AUS Eastern Standard/Daylight Time',
@     43200 => 'New Zealand Standard/Daylight Time');
<!-- provhost {$MODULE_ID}: {$x($PHONE_TYPE_NAME)} {$MAC} -->
<device>
  <fullConfig>true</fullConfig>
  <deviceProtocol>SIP</deviceProtocol>
  <sshUserId>admin</sshUserId>
  <sshPassword>{$x($ADMIN_PASSWORD)}</sshPassword>
  <devicePool>
    <dateTimeSetting>
      <dateTemplate>D/M/Y</dateTemplate>
      <timeZone>{$x($zones[(int) $TIMEZONE_OFFSET] ?? 'Greenwich Standard Time')}</timeZone>
      <ntps><ntp><name>{$x($OPERATOR_IP)}</name><ntpMode>Unicast</ntpMode></ntp></ntps>
    </dateTimeSetting>
    <callManagerGroup>
      <members>
        <member priority="0">
          <callManager>
            <ports><ethernetPhonePort>2000</ethernetPhonePort><sipPort>5060</sipPort></ports>
            <processNodeName>{$x($OPERATOR_IP)}</processNodeName>
          </callManager>
        </member>
      </members>
    </callManagerGroup>
  </devicePool>
  <sipProfile>
    <sipProxies>
      <registerWithProxy>true</registerWithProxy>
    </sipProxies>
    <sipCallFeatures>
      <cnfJoinEnabled>true</cnfJoinEnabled>
      <rfc2543Hold>false</rfc2543Hold>
      <callHoldRingback>2</callHoldRingback>
      <localCfwdEnable>true</localCfwdEnable>
      <semiAttendedTransfer>true</semiAttendedTransfer>
      <anonymousCallBlock>2</anonymousCallBlock>
      <callerIdBlocking>2</callerIdBlocking>
      <dndControl>0</dndControl>
      <remoteCcEnable>true</remoteCcEnable>
    </sipCallFeatures>
    <sipStack>
      <sipInviteRetx>6</sipInviteRetx>
      <sipRetx>10</sipRetx>
      <timerRegisterExpires>3600</timerRegisterExpires>
      <remotePartyID>true</remotePartyID>
    </sipStack>
    <autoAnswerTimer>1</autoAnswerTimer>
    <autoAnswerAltBehavior>false</autoAnswerAltBehavior>
    <autoAnswerOverride>true</autoAnswerOverride>
    <transferOnhookEnabled>false</transferOnhookEnabled>
    <enableVad>false</enableVad>
    <preferredCodec>none</preferredCodec>
    <dtmfAvtPayload>101</dtmfAvtPayload>
    <dtmfDbLevel>3</dtmfDbLevel>
    <dtmfOutofBand>avt</dtmfOutofBand>
    <kpml>3</kpml>
    <phoneLabel>{$x($LINES[0]['TELNUM'] ?? '')}</phoneLabel>
    <stutterMsgWaiting>2</stutterMsgWaiting>
    <callStats>false</callStats>
    <silentPeriodBetweenCallWaitingBursts>10</silentPeriodBetweenCallWaitingBursts>
    <disableLocalSpeedDialConfig>false</disableLocalSpeedDialConfig>
    <startMediaPort>16384</startMediaPort>
    <stopMediaPort>32766</stopMediaPort>
    <voipControlPort>5060</voipControlPort>
    <dscpForAudio>184</dscpForAudio>
    <ringSettingBusyStationPolicy>0</ringSettingBusyStationPolicy>
    <dialTemplate>provhost-cisco-dialplan.xml</dialTemplate>
    <sipLines>
@ foreach (array_slice($LINES, 0, $MAX_LINES) as $n => $line) {
      <line button="{$n + 1}">
        <featureID>9</featureID>
        <featureLabel>{$x($line['TELNUM'])}</featureLabel>
        <proxy>USECALLMANAGER</proxy>
        <port>5060</port>
        <name>{$x($line['SIP_USERNAME'])}</name>
        <displayName>{$x($line['USER_FULLNAME'])}</displayName>
        <autoAnswer><autoAnswerEnabled>2</autoAnswerEnabled></autoAnswer>
        <callWaiting>3</callWaiting>
        <authName>{$x($line['SIP_USERNAME'])}</authName>
        <authPassword>{$x($line['SIP_PASSWORD'])}</authPassword>
        <sharedLine>false</sharedLine>
        <messageWaitingLampPolicy>3</messageWaitingLampPolicy>
        <messagesNumber>{$x($VOICEMAIL_EXT)}</messagesNumber>
        <ringSettingIdle>4</ringSettingIdle>
        <ringSettingActive>5</ringSettingActive>
        <contact>{$x($line['SIP_USERNAME'])}</contact>
        <forwardCallInfoDisplay>
          <callerName>true</callerName>
          <callerNumber>false</callerNumber>
          <redirectedNumber>false</redirectedNumber>
          <dialedNumber>true</dialedNumber>
        </forwardCallInfoDisplay>
      </line>
@ }
    </sipLines>
  </sipProfile>
  <commonProfile>
    <phonePassword>{$x($ADMIN_PASSWORD)}</phonePassword>
    <backgroundImageAccess>true</backgroundImageAccess>
    <callLogBlfEnabled>2</callLogBlfEnabled>
  </commonProfile>
  <loadInformation></loadInformation>
  <vendorConfig>
    <disableSpeaker>false</disableSpeaker>
    <pcPort>0</pcPort>
    <settingsAccess>1</settingsAccess>
    <garp>0</garp>
    <voiceVlanAccess>0</voiceVlanAccess>
    <videoCapability>0</videoCapability>
    <autoSelectLineEnable>0</autoSelectLineEnable>
    <webAccess>0</webAccess>
    <sshAccess>0</sshAccess>
  </vendorConfig>
  <versionStamp>{substr(md5(serialize(array($LINES, $ADMIN_PASSWORD, $OPERATOR_IP, $VOICEMAIL_EXT, $TIMEZONE_OFFSET))), 0, 16)}</versionStamp>
  <userLocale><name>English_United_States</name><langCode>en</langCode></userLocale>
  <networkLocale>United_States</networkLocale>
  <deviceSecurityMode>1</deviceSecurityMode>
  <authenticationURL></authenticationURL>
  <directoryURL></directoryURL>
  <servicesURL></servicesURL>
  <idleURL></idleURL>
  <informationURL></informationURL>
  <messagesURL></messagesURL>
  <proxyServerURL></proxyServerURL>
  <transportLayerProtocol>2</transportLayerProtocol>
</device>
