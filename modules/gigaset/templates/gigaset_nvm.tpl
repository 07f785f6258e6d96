<?xml version="1.0" encoding="UTF-8"?>
@ // nvm format of the N670/N870 IP PRO (Gigaset Pro wiki, N870 "Parameter list"): one
@ // SIP provider (the PBX) and one SIP account per handset; "add_hs" opens handset slot
@ // NNNNN for registration (lines = handsets).
@ $a = function ($text) { return htmlspecialchars(str_replace(array("\r", "\n"), '', (string) $text), ENT_QUOTES | ENT_XML1, 'UTF-8'); };
@ $server = in_array($PROTO, array('http', 'https'), true) && isset($REQUEST_HEADERS['host']) ? $PROTO . '://' . $REQUEST_HEADERS['host'] : 'http://' . $OPERATOR_IP;
@ // DmGlobal.0.TimeZone takes a zone name; whole-hour offsets map to the POSIX-style
@ // "Etc/GMT-1" names (sign inverted, as in the tz database).
@ $hours = (int) round($TIMEZONE_OFFSET / 3600);
@ $zone = $hours === 0 ? 'Etc/UTC' : sprintf('Etc/GMT%+d', -$hours);
<provisioning version="1.1" productID="e2">
  <!-- provhost {$MODULE_ID}: {$a($PHONE_TYPE_NAME)} {strtoupper($MAC)} -->
@ // The firmware the base should run (a filled slot of the type): it updates when the
@ // version differs from its own.
@ if (isset($firmware) && $firmware !== null) {
  <firmware>
    <file version="{$a($firmware[0])}" url="{$a($server . $firmware[1])}"/>
  </firmware>
@ }
  <nvm>
    <param name="Provisioning.global.ProvisioningServer" value="{$a($server)}/gigaset/{substr($IDENT, 8)}/"/>
    <param name="DmGlobal.0.NtpServer" value="{$a($OPERATOR_IP)}"/>
    <param name="DmGlobal.0.TimeZone" value="{$zone}"/>
    <param name="SipProvider.0.Name" value="{$a($PBX_NAME !== '' ? $PBX_NAME : 'provhost')}"/>
    <param name="SipProvider.0.Domain" value="{$a($OPERATOR_IP)}"/>
    <param name="SipProvider.0.ProxyServerAddress" value="{$a($OPERATOR_IP)}"/>
    <param name="SipProvider.0.ProxyServerPort" value="5060"/>
    <param name="SipProvider.0.RegServerAddress" value="{$a($OPERATOR_IP)}"/>
    <param name="SipProvider.0.RegServerPort" value="5060"/>
@ foreach ($LINES as $index => $line) {
@     $hs = sprintf('%05d', $index + 1);
    <!-- handset {$index + 1} -->
    <oper name="add_hs" value="{$hs}">
      <param name="hs.RegStatus" value="ToReg"/>
    </oper>
    <param name="SipAccount.{$hs}.AuthName" value="{$a($line['SIP_USERNAME'])}"/>
    <param name="SipAccount.{$hs}.AuthPassword" value="{$a($line['SIP_PASSWORD'])}"/>
    <param name="SipAccount.{$hs}.UserName" value="{$a($line['SIP_USERNAME'])}"/>
    <param name="SipAccount.{$hs}.DisplayName" value="{$a($line['USER_FULLNAME'])}"/>
    <param name="SipAccount.{$hs}.ProviderId" value="0"/>
@     if ($VOICEMAIL_EXT !== '') {
    <param name="SipAccount.{$hs}.VoiceMailMailbox" value="{$a($VOICEMAIL_EXT)}"/>
    <param name="SipAccount.{$hs}.VoiceMailActive" value="1"/>
@     }
@ }
  </nvm>
</provisioning>
