<flat-profile>
@ // Parameter names: Cisco "SPA300 Series and SPA500 Series IP Phones Provisioning Guide",
@ // "Flat profile" (XML) format, the SPA525G Administration Guide, the "SPA100 Series
@ // Administration Guide" (ATAs: the same Line_*/Proxy_* names per FXS port) and the
@ // "7800/8800 Series Multiplatform Phones Provisioning Guide" (same flat profile).
@ $x = function ($s) { return htmlspecialchars((string) $s, ENT_XML1 | ENT_QUOTES, 'UTF-8'); };
<!-- provhost {$MODULE_ID}: {$x($PHONE_TYPE_NAME)} {$MAC} -->
@ // Per-phone provisioning credentials (provhost: docs/module-api.md): the rule's
@ // [--uid USER --pwd PASSWORD] options make the phone answer the server's HTTP digest
@ // challenge; they need HTTP(S), so such a phone resyncs over HTTP from now on (the
@ // address it used, or OPERATOR_IP on port 80 when it came over TFTP).
@ if (($PROVISION_PASSWORD ?? '') !== '') {
@     $provScheme = $PROTO === 'https' ? 'https' : 'http';
@     $provHost = in_array($PROTO, array('http', 'https'), true) && isset($REQUEST_HEADERS['host'])
@         ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
  <Profile_Rule ua="na">[--uid {$x($PROVISION_USER)} --pwd {$x($PROVISION_PASSWORD)}]{$provScheme}://{$x($provHost)}/Cisco/$PN/$MA.cfg</Profile_Rule>
@ } else {
  <Profile_Rule ua="na">/Cisco/$PN/$MA.cfg</Profile_Rule>
@ }
  <Resync_Periodic ua="na">86400</Resync_Periodic>
  <Resync_On_Reset ua="na">Yes</Resync_On_Reset>
  <Resync_From_SIP ua="na">Yes</Resync_From_SIP>
@ // Profile_Rule_B.._D run after Profile_Rule: empty them, so that rules left by a
@ // previous provisioning system (or DHCP option 159/160) cannot override this profile.
  <Profile_Rule_B ua="na"></Profile_Rule_B>
  <Profile_Rule_C ua="na"></Profile_Rule_C>
  <Profile_Rule_D ua="na"></Profile_Rule_D>
@ // The admin password: Admin_Passwd on SPA phones and ATAs, Admin_Password on the
@ // multiplatform phones (admin_param in phone_types).
  <{$adminParam} ua="na">{$x($ADMIN_PASSWORD)}</{$adminParam}>
@ // resync/spa.php asks the web server for /admin/resync as user admin on this port
  <Enable_Web_Server ua="na">Yes</Enable_Web_Server>
  <Web_Server_Port ua="na">{$x($web_port)}</Web_Server_Port>
  <Enable_Web_Admin_Access ua="na">Yes</Enable_Web_Admin_Access>
  <Time_Zone ua="na">{$timezoneString}</Time_Zone>
  <Voice_Mail_Number ua="na">{$x($VOICEMAIL_EXT)}</Voice_Mail_Number>
@ if (isset($DIALPLAN)) {
  <Dial_Plan_1_ ua="na">{$x($DIALPLAN)}</Dial_Plan_1_>
@ }
@ // Logo ("Picture Download URL", "Select Logo", "Select Background Picture"): a BMP the
@ // phone downloads from the URL.  SPA 50x: Picture_Download_URL; SPA525G: the colour
@ // picture in BMP_Picture_Download_URL.  No logo (none uploaded, or logos switched off
@ // by $DISPLAY_LOGO): back to the phone's own default, so an old picture goes away.
@ if ($logoSlot !== null) {
@     $urlKey = $logoSlot === 'logo_color' ? 'BMP_Picture_Download_URL' : 'Picture_Download_URL';
@     if ($logoPath !== null) {
  <{$urlKey} ua="na">tftp://{$OPERATOR_IP}{$logoPath}</{$urlKey}>
  <Select_Logo ua="na">BMP Picture</Select_Logo>
  <Select_Background_Picture ua="na">BMP Picture</Select_Background_Picture>
@     } else {
  <{$urlKey} ua="na"></{$urlKey}>
  <Select_Logo ua="na">Default</Select_Logo>
  <Select_Background_Picture ua="na">None</Select_Background_Picture>
@     }
@ }
@ // Firmware ("Upgrade_Rule", "Upgrade_Enable"): the phone fetches the image and
@ // installs it when it differs from its running version.  No image: empty rule.
@ if ($hasFirmwareSlot) {
  <Upgrade_Enable ua="na">Yes</Upgrade_Enable>
  <Upgrade_Rule ua="na">{$firmwarePath !== null ? 'tftp://' . $OPERATOR_IP . $firmwarePath : ''}</Upgrade_Rule>
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
