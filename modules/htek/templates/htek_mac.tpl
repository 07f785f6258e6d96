<?xml version="1.0" encoding="UTF-8" ?>
@ // Htek P-value XML (Htek "UC900 Series IP Phones Provisioning", section 2.2: the
@ // phone's own "Download Xml File" template): <hl_provision><config> holding one
@ // element per parameter, named P<number>, with the readable name in "para".
@ $x = function ($v) { return htmlspecialchars((string) $v, ENT_QUOTES | ENT_XML1, 'UTF-8'); };
@ // per account: Active, Sipserver, Label, SipUserId, AuthenticateID,
@ //              AuthenticatePassword, DisplayName, SipRegistration, VoiceMailId,
@ //              SubscribeForMWI, DialPlan
@ $P = array(
@     1 => array(271, 47, 20000, 35, 36, 34, 3, 31, 33, 99, 4200),
@     2 => array(401, 747, 20001, 735, 736, 734, 703, 731, 426, 709, 4201),
@     3 => array(501, 502, 20002, 504, 505, 506, 507, 510, 526, 515, 4202),
@     4 => array(601, 602, 20003, 604, 605, 606, 607, 610, 626, 615, 4203),
@ );
@ // P64 "Preference.TimeZone" is an index into the phone's zone list, by UTC offset.
@ $zones = array('-660' => 105, '-600' => 2, '-540' => 3, '-480' => 6, '-420' => 10,
@     '-360' => 14, '-300' => 18, '-270' => 19, '-240' => 20, '-210' => 26, '-180' => 30,
@     '-120' => 31, '-60' => 32, '0' => 33, '60' => 49, '120' => 57, '180' => 73,
@     '210' => 74, '240' => 77, '300' => 83, '330' => 84, '360' => 85, '420' => 88,
@     '480' => 89, '540' => 93, '570' => 94, '600' => 96, '630' => 100, '660' => 101,
@     '720' => 102, '765' => 103, '780' => 104);
@ $minutes = (string) intdiv($TIMEZONE_OFFSET, 60);
@ $zone = isset($zones[$minutes]) ? $zones[$minutes] : 33;
@ $web = in_array($PROTO, array('http', 'https'), true);
@ $host = $web && isset($REQUEST_HEADERS['host']) ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
<!-- provhost {$x($MODULE_ID)}: {$x($PHONE_TYPE_NAME)} {$MAC} -->
<hl_provision version="1">
  <config version="1">
@ for ($i = 1; $i <= min($MAX_LINES, 4); $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     $p = $P[$i];
@     if ($line === null) {
    <P{$p[0]} para="Account{$i}.Active">0</P{$p[0]}>
@         continue;
@     }
    <P{$p[0]} para="Account{$i}.Active">1</P{$p[0]}>
    <P{$p[1]} para="Account{$i}.Sipserver">{$x($OPERATOR_IP)}:5060</P{$p[1]}>
    <P{$p[2]} para="Account{$i}.Label">{$x($line['TELNUM'])}</P{$p[2]}>
    <P{$p[3]} para="Account{$i}.SipUserId">{$x($line['SIP_USERNAME'])}</P{$p[3]}>
    <P{$p[4]} para="Account{$i}.AuthenticateID">{$x($line['SIP_USERNAME'])}</P{$p[4]}>
    <P{$p[5]} para="Account{$i}.AuthenticatePassword">{$x($line['SIP_PASSWORD'])}</P{$p[5]}>
    <P{$p[6]} para="Account{$i}.DispalyName">{$x($line['USER_FULLNAME'])}</P{$p[6]}>
    <P{$p[7]} para="Account{$i}.SipRegistration">1</P{$p[7]}>
    <P{$p[8]} para="Account{$i}.VoiceMailId">{$x($VOICEMAIL_EXT)}</P{$p[8]}>
    <P{$p[9]} para="Account{$i}.SubscribeForMWI">1</P{$p[9]}>
@     if (isset($DIALPLAN) && $DIALPLAN !== '') {
    <P{$p[10]} para="Account{$i}.DialPlan">{$x($DIALPLAN)}</P{$p[10]}>
@     }
@ }
    <P64 para="Preference.TimeZone">{$zone}</P64>
    <P75 para="Preference.DaylightSavingTime">0</P75>
    <P8681 para="LogUser.Admin">admin</P8681>
    <P2 para="AdminPassword">{$x($ADMIN_PASSWORD)}</P2>
@ // Auto provisioning (Management/AutoProvision): 0 TFTP, 1 HTTP, 2 HTTPS; from now on
@ // the phone asks under /prov/<module>/<type>/ (see providers/htek.php).
    <P212 para="FirmwareUpGrade.UrgrateMode">{$PROTO === 'https' ? 2 : ($web ? 1 : 0)}</P212>
    <P237 para="FirmwareUpGrade.ConfigServerPath">{$x($host)}/prov/{$x($MODULE_ID)}/{$x($IDENT)}</P237>
    <P1360 para="FirmwareUpGrade.UserName">{$x($PROVISION_USER)}</P1360>
    <P1361 para="FirmwareUpGrade.Password">{$x($PROVISION_PASSWORD)}</P1361>
@ // check-sync NOTIFYs must authenticate (Preference.CheckSyncWithAuth).
    <P20983 para="Preference.CheckSyncWithAuth">1</P20983>
  </config>
</hl_provision>
