<?xml version="1.0" encoding="ISO-8859-1"?>
@ // ProviderFrame format of the N510 IP PRO and N720 DM PRO (Gigaset Pro wiki, "The XML
@ // provisioning file").  The base checks MAC_ADDRESS (its own MAC, upper case) and
@ // PROFILE_NAME before applying anything.  String values are written '"text"' (a
@ // double-quoted string inside the attribute), numbers in hex.
@ $s = function ($text) {
@     $text = str_replace(array('"', "\r", "\n"), '', (string) $text);
@     if (function_exists('mb_convert_encoding')) {
@         $text = mb_convert_encoding($text, 'ISO-8859-1', 'UTF-8');
@     } else {
@         $text = preg_replace('/[^\x20-\x7e]/', '?', $text);
@     }
@     // literal double quotes inside the single-quoted attribute, as Gigaset's templates have
@     return '"' . str_replace(array('&', '<', "'"), array('&amp;', '&lt;', '&apos;'), $text) . '"';
@ };
@ $item = function ($id, $value) { return '<SYMB_ITEM ID="' . $id . '" class="symb_item" value=\'' . $value . '\'/>'; };
@ // Time zone codes of the N510 (BS_IP_Data1.uiI_TIME_TIMEZONE), by whole hours from UTC.
@ $zones = array(-12 => 0x00, -11 => 0x01, -10 => 0x02, -9 => 0x03, -8 => 0x04, -7 => 0x07,
@     -6 => 0x09, -5 => 0x0d, -4 => 0x0f, -3 => 0x15, -2 => 0x16, -1 => 0x18, 0 => 0x1a,
@     1 => 0x1b, 2 => 0x20, 3 => 0x28, 4 => 0x2b, 5 => 0x2e, 6 => 0x33, 7 => 0x37, 8 => 0x3a,
@     9 => 0x3d, 10 => 0x43);
@ $hours = max(-12, min(10, (int) round($TIMEZONE_OFFSET / 3600)));
@ // The system PIN (4 digits, "0x12,0x34" for 1234) guards the web UI; derived from the
@ // phone's admin password so it changes with it (docs/phones/gigaset.md).
@ $pin = sprintf('%04d', hexdec(substr(md5($ADMIN_PASSWORD), 0, 6)) % 10000); // 24 bits: same on 32-bit runtimes
@ $server = in_array($PROTO, array('http', 'https'), true) && isset($REQUEST_HEADERS['host']) ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
<ProviderFrame xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="{strtoupper(substr($IDENT, 8))}.xsd">
  <Provider>
    <!-- provhost {$MODULE_ID}: {htmlspecialchars($PHONE_TYPE_NAME, ENT_XML1)} -->
    <MAC_ADDRESS value="{strtoupper($MAC)}"/>
    <PROFILE_NAME class="string" value="{strtoupper(substr($IDENT, 8))}"/>
    {$item('BS_IP_Data1.aucS_DATA_SERVER[0]', $s($server))}
    {$item('BS_IP_Data.ucB_AUTO_UPDATE_PROFILE', '0x1')}
    {$item('BS_CUSTOM.aucKdsPin[0]', '0x' . substr($pin, 0, 2) . ',0x' . substr($pin, 2, 2))}
    {$item('BS_IP_Data1.uiI_TIME_TIMEZONE', sprintf('0x%x', $zones[$hours] ?? 0x1a))}
    {$item('BS_IP_Data1.aucS_TIME_NTP_SERVER', $s($OPERATOR_IP))}
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     $sfx = $i === 1 ? $first_suffix : '_' . $i;
    <!-- handset {$i} -->
@     if ($line === null) {
    {$item('BS_IP_Data1.ucB_SIP_ACCOUNT_IS_ACTIVE_' . $i, '0x0')}
@         continue;
@     }
    {$item('BS_IP_Data1.ucB_SIP_ACCOUNT_IS_ACTIVE_' . $i, '0x1')}
    {$item('BS_Accounts.astAccounts[' . ($i - 1) . '].aucAccountName[0]', $s($line['TELNUM']))}
    {$item('BS_IP_Data1.aucS_SIP_ACCOUNT_NAME_' . $i, $s($line['TELNUM']))}
    {$item('BS_IP_Data1.aucS_SIP_DISPLAYNAME' . $sfx, $s($line['USER_FULLNAME']))}
    {$item('BS_IP_Data3.aucS_SIP_LOGIN_ID' . $sfx, $s($line['SIP_USERNAME']))}
    {$item('BS_IP_Data1.aucS_SIP_PASSWORD' . $sfx, $s($line['SIP_PASSWORD']))}
    {$item('BS_IP_Data1.aucS_SIP_USER_ID' . $sfx, $s($line['SIP_USERNAME']))}
    {$item('BS_IP_Data1.aucS_SIP_DOMAIN' . $sfx, $s($OPERATOR_IP))}
    {$item('BS_IP_Data1.aucS_SIP_SERVER' . $sfx, $s($OPERATOR_IP))}
    {$item('BS_IP_Data1.aucS_SIP_REGISTRAR' . $sfx, $s($OPERATOR_IP))}
    {$item('BS_IP_Data1.uiI_SIP_SERVER_PORT' . $sfx, '0x13c4')}
    {$item('BS_IP_Data1.uiI_SIP_REGISTRAR_PORT' . $sfx, '0x13c4')}
    {$item('BS_AE_Subscriber.stMtDat[' . ($i - 1) . '].aucTlnName', $s($line['TELNUM']))}
    {$item('BS_IP_Data1.aucS_VOIP_NET_AM_NUMBER_' . $i, $s($VOICEMAIL_EXT))}
    {$item('BS_IP_Data1.ucB_VOIP_NET_AM_ENABLED_' . $i, $VOICEMAIL_EXT !== '' ? '0x1' : '0x0')}
@ }
  </Provider>
</ProviderFrame>
