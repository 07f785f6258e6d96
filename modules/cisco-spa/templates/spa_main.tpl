<flat-profile>
@ // Parameter names: Cisco SPA500 Provisioning Guide, "Flat profile" (XML) format.
@ $x = function ($s) { return htmlspecialchars((string) $s, ENT_XML1 | ENT_QUOTES, 'UTF-8'); };
<!-- provhost {$MODULE_ID}: {$x($PHONE_TYPE_NAME)} {$MAC} -->
  <Profile_Rule ua="na">/Cisco/$PN/$MA.cfg</Profile_Rule>
  <Resync_Periodic ua="na">86400</Resync_Periodic>
  <Resync_On_Reset ua="na">Yes</Resync_On_Reset>
  <Resync_From_SIP ua="na">Yes</Resync_From_SIP>
  <Admin_Passwd ua="na">{$x($ADMIN_PASSWORD)}</Admin_Passwd>
  <Time_Zone ua="na">{$timezoneString}</Time_Zone>
  <Voice_Mail_Number ua="na">{$x($VOICEMAIL_EXT)}</Voice_Mail_Number>
@ if (isset($DIALPLAN)) {
  <Dial_Plan_1_ ua="na">{$x($DIALPLAN)}</Dial_Plan_1_>
@ }
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     if ($line === null) {
  <Line_Enable_{$i}_ ua="na">No</Line_Enable_{$i}_>
@         continue;
@     }
  <Line_Enable_{$i}_ ua="na">Yes</Line_Enable_{$i}_>
  <Proxy_{$i}_ ua="na">{$OPERATOR_IP}</Proxy_{$i}_>
  <Display_Name_{$i}_ ua="na">{$x($line['USER_FULLNAME'])}</Display_Name_{$i}_>
  <User_ID_{$i}_ ua="na">{$x($line['SIP_USERNAME'])}</User_ID_{$i}_>
  <Password_{$i}_ ua="na">{$x($line['SIP_PASSWORD'])}</Password_{$i}_>
  <Use_Auth_ID_{$i}_ ua="na">No</Use_Auth_ID_{$i}_>
  <Short_Name_{$i}_ ua="na">{$x($line['TELNUM'])}</Short_Name_{$i}_>
@ }
</flat-profile>
