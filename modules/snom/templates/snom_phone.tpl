<?xml version="1.0" encoding="utf-8"?>
@ // Settings: Snom Service wiki, "XML Provisioning of Settings" and the settings reference
@ // pages (setting_server, update_policy, admin_mode_password, http_user, http_pass,
@ // utc_offset, user_active, user_realname, user_name, user_pname, user_pass, user_host,
@ // user_mailbox, user_dp_str, user_idle_text).  Indexed settings carry idx="N" (identity N).
@ $x = function ($s) { return htmlspecialchars((string) $s, ENT_XML1 | ENT_QUOTES, 'UTF-8'); };
<!-- provhost {$MODULE_ID}: {$x($PHONE_TYPE_NAME)} {$MAC} -->
<settings>
  <phone-settings e="2">
@ // setting_server without a file name: the phone fetches snom<model>.htm and
@ // snom<model>-<MAC>.htm there.  Per-phone provisioning credentials (provhost:
@ // docs/module-api.md) ride in the URL (http://user:password@host/), which the phone uses
@ // to answer the server's authentication challenge; they need HTTP(S), so such a phone
@ // provisions over HTTP from now on (the address it used, or OPERATOR_IP on port 80).
@ $web = in_array($PROTO, array('http', 'https'), true);
@ $host = $web && isset($REQUEST_HEADERS['host']) ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
@ $scheme = $PROTO === 'https' ? 'https' : 'http';
@ if (($PROVISION_PASSWORD ?? '') !== '') {
    <setting_server perm="R">{$x($scheme . '://' . rawurlencode($PROVISION_USER) . ':' . rawurlencode($PROVISION_PASSWORD) . '@' . $host . '/')}</setting_server>
@ } else {
    <setting_server perm="R">{$x(($web ? $scheme : 'tftp') . '://' . $host . '/')}</setting_server>
@ }
    <update_policy perm="R">auto_update</update_policy>
    <admin_mode_password perm="R">{$x($ADMIN_PASSWORD)}</admin_mode_password>
    <http_user perm="R">admin</http_user>
    <http_pass perm="R">{$x($ADMIN_PASSWORD)}</http_pass>
    <utc_offset perm="RW">{intval($TIMEZONE_OFFSET)}</utc_offset>
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     if ($line === null) {
    <user_active idx="{$i}" perm="R">off</user_active>
@         continue;
@     }
    <user_active idx="{$i}" perm="R">on</user_active>
    <user_realname idx="{$i}" perm="RW">{$x($line['USER_FULLNAME'])}</user_realname>
    <user_name idx="{$i}" perm="R">{$x($line['SIP_USERNAME'])}</user_name>
    <user_pname idx="{$i}" perm="R">{$x($line['SIP_USERNAME'])}</user_pname>
    <user_pass idx="{$i}" perm="R">{$x($line['SIP_PASSWORD'])}</user_pass>
    <user_host idx="{$i}" perm="R">{$x($OPERATOR_IP)}</user_host>
    <user_mailbox idx="{$i}" perm="RW">{$x($VOICEMAIL_EXT)}</user_mailbox>
    <user_idle_text idx="{$i}" perm="RW">{$x($line['TELNUM'])}</user_idle_text>
@     if (isset($DIALPLAN)) {
    <user_dp_str idx="{$i}" perm="R">{$x($DIALPLAN)}</user_dp_str>
@     }
@ }
  </phone-settings>
</settings>
