<?xml version="1.0" encoding="UTF-8"?>
@ // OBi configuration XML, full-tag form (OBi Device Provisioning Guide, "Configuration
@ // File Format"): TR-104 style objects, each holding ParameterValueStructs.
@ $x = function ($v) { return htmlspecialchars((string) $v, ENT_XML1 | ENT_QUOTES, 'UTF-8'); };
@ $p = function ($name, $value) use ($x) {
@     return '<ParameterValueStruct><Name>' . $name . '</Name><Value>' . $x($value) . '</Value></ParameterValueStruct>';
@ };
@ $scheme = $PROTO === 'tftp' ? 'tftp' : ($PROTO === 'https' ? 'https' : 'http');
@ $server = $PROTO === 'tftp' ? '$DHCPOPT66' : ($REQUEST_HEADERS['host'] ?? $OPERATOR_IP);
<!-- provhost {$x($MODULE_ID)}: {$x($PHONE_TYPE_NAME)} {$x($MAC)} -->
<ParameterList>
<Object>
<Name>X_DeviceManagement.ITSPProvisioning.</Name>
{$p('Method', 'Periodically')}
{$p('Interval', '3600')}
{$p('ConfigURL', $scheme . '://' . $server . '/prov/' . $MODULE_ID . '/' . $model . '/$MAC.xml')}
@ if (($PROVISION_PASSWORD ?? '') !== '') {
{$p('Username', $PROVISION_USER)}
{$p('Password', $PROVISION_PASSWORD)}
@ }
</Object>
<Object>
<Name>X_DeviceManagement.Provisioning.</Name>
{$p('Method', 'Disabled')}
</Object>
<Object>
<Name>X_DeviceManagement.DeviceAdmin.</Name>
{$p('AdminPassword', $ADMIN_PASSWORD)}
</Object>
<Object>
<Name>X_DeviceManagement.TimeService.</Name>
{$p('LocalTimeZone', $timezone)}
{$p('DaylightSavingTimeEnable', 'false')}
</Object>
@ $phone = ($layout ?? 'ata') === 'phone';
@ for ($n = 1; $n <= $MAX_LINES; $n++) {
@     $line = $LINES[$n - 1] ?? null;
@     // the SP service object and the ITSP profile it uses (see phone_types)
@     $sp = $phone ? "VoiceService.1.VoiceProfile.1.Line.$n." : "VoiceService.1.VoiceProfile.$n.Line.1.";
@     $itsp = $phone ? 'VoiceService.1.VoiceProfile.1.' : "VoiceService.1.VoiceProfile.$n.";
<Object>
<Name>{$sp}</Name>
{$p('Enable', $line === null ? 'false' : 'true')}
@     if ($line !== null && $phone) {
{$p('X_ServProvProfile', 'A')}
@     }
</Object>
@     if ($line === null) {
@         continue;
@     }
<Object>
<Name>{$sp}SIP.</Name>
{$p('AuthUserName', $line['SIP_USERNAME'])}
{$p('AuthPassword', $line['SIP_PASSWORD'])}
{$p('URI', $line['SIP_USERNAME'])}
</Object>
<Object>
<Name>{$sp}CallingFeatures.</Name>
{$p('CallerIDName', $line['USER_FULLNAME'] !== '' ? $line['USER_FULLNAME'] : $line['TELNUM'])}
</Object>
@     if ($phone && $n > 1) {
@         continue;   // the phones' accounts share ITSP profile A, written once
@     }
<Object>
<Name>{$itsp}SIP.</Name>
{$p('ProxyServer', $OPERATOR_IP)}
{$p('ProxyServerPort', '5060')}
{$p('RegistrarServer', $OPERATOR_IP)}
{$p('RegistrarServerPort', '5060')}
</Object>
@     if (isset($DIALPLAN) && $DIALPLAN !== '') {
<Object>
<Name>{$itsp}</Name>
{$p('X_DigitMap', $DIALPLAN)}
</Object>
@     }
@ }
</ParameterList>
