<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
@ // Parameters: Polycom UC Software Administrator Guide, "reg", "msg.mwi", "tcpIpApp.sntp",
@ // "device" (device.set=1 is needed for device.* values to be applied).
@ $x = function ($s) { return htmlspecialchars((string) $s, ENT_XML1 | ENT_QUOTES, 'UTF-8'); };
<!-- provhost {$MODULE_ID}: {$x($PHONE_TYPE_NAME)} {$MAC} -->
<polycomConfig>
@ // Per-phone provisioning credentials (provhost: docs/module-api.md), sent only to a
@ // phone provisioning over HTTP(S): device.prov.user/password are also its FTP login,
@ // which provhost checks against the MAC and the admin password.
@ if (($PROVISION_PASSWORD ?? '') !== '' && in_array($PROTO, array('http', 'https'), true)) {
  <device device.set="1" device.auth.localAdminPassword.set="1" device.auth.localAdminPassword="{$x($ADMIN_PASSWORD)}" device.prov.user.set="1" device.prov.user="{$x($PROVISION_USER)}" device.prov.password.set="1" device.prov.password="{$x($PROVISION_PASSWORD)}"/>
@ } else {
  <device device.set="1" device.auth.localAdminPassword.set="1" device.auth.localAdminPassword="{$x($ADMIN_PASSWORD)}"/>
@ }
  <tcpIpApp tcpIpApp.sntp.gmtOffset="{(int) $TIMEZONE_OFFSET}"/>
@ // check-sync NOTIFY (RESYNC=SIPNOTIFY): reload the configuration, reboot only if a
@ // change needs it; accept the NOTIFY only after a digest challenge answered with the
@ // line credentials (voIpProt.SIP.requestValidation.*).
  <voIpProt voIpProt.server.1.address="{$x($OPERATOR_IP)}" voIpProt.SIP.specialEvent.checkSync.alwaysReboot="0" voIpProt.SIP.requestValidation.1.method="digest" voIpProt.SIP.requestValidation.1.request="NOTIFY" voIpProt.SIP.requestValidation.1.request.1.event="check-sync"/>
@ // Digit map from dialplans/polycom.php ("dialplan.digitmap"; applies to every line).
@ if (isset($DIALPLAN)) {
  <dialplan dialplan.digitmap="{$x($DIALPLAN)}"/>
@ }
@ foreach (array_slice($LINES, 0, $MAX_LINES) as $n => $line) {
@     $i = $n + 1;
  <reg reg.{$i}.address="{$x($line['SIP_USERNAME'])}" reg.{$i}.auth.userId="{$x($line['SIP_USERNAME'])}" reg.{$i}.auth.password="{$x($line['SIP_PASSWORD'])}" reg.{$i}.displayName="{$x($line['USER_FULLNAME'])}" reg.{$i}.label="{$x($line['TELNUM'])}" reg.{$i}.server.1.address="{$x($OPERATOR_IP)}"/>
  <msg msg.mwi.{$i}.callBackMode="contact" msg.mwi.{$i}.callBack="{$x($VOICEMAIL_EXT)}"/>
@ }
</polycomConfig>
