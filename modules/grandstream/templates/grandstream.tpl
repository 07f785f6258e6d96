<?xml version="1.0" encoding="UTF-8"?>
@ // Format: Grandstream "SIP Device Provisioning Guide", "XML Provisioning Schema": every
@ // setting is an element named after its P-value.  P-value meanings: the configuration
@ // templates Grandstream publishes per product line (e.g. "Configuration Template for
@ // GRP261x"), sections Account, Maintenance/Upgrade and Provisioning, Date and Time.
@ $x = function ($s) { return htmlspecialchars((string) $s, ENT_XML1 | ENT_QUOTES, 'UTF-8'); };
@ // POSIX TZ for the self-defined time zone: the sign is inverted (UTC+1 is "UTC-1").
@ $off = (int) $TIMEZONE_OFFSET;
@ $tz = sprintf('PROV%s%d:%02d', $off > 0 ? '-' : '+', intdiv(abs($off), 3600), intdiv(abs($off) % 3600, 60));
<!-- provhost {$MODULE_ID}: {$x($PHONE_TYPE_NAME)} {$MAC} -->
<gs_provision version="1">
  <mac>{$MAC}</mac>
  <config version="1">
@ // Admin password (Web GUI admin login)
    <P2>{$x($ADMIN_PASSWORD)}</P2>
@ // Time zone: "customize" selects the self-defined zone of P246 (POSIX TZ, no DST rule)
    <P64>customize</P64>
    <P246>{$x($tz)}</P246>
@ // Provisioning: Config Upgrade Via (P212: 0 TFTP, 1 HTTP, 2 HTTPS), Config Server Path
@ // (P237, host[:port][/path]), Config HTTP/HTTPS User Name and Password (P1360, P1361).
@ // Per-phone provisioning credentials (provhost: docs/module-api.md) need HTTP(S): a
@ // device with credentials provisions over HTTP from now on (the address it used, or
@ // OPERATOR_IP on port 80 when it came over TFTP).
@ $web = in_array($PROTO, array('http', 'https'), true);
@ $host = $web && isset($REQUEST_HEADERS['host']) ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
@ if (($PROVISION_PASSWORD ?? '') !== '') {
    <P212>{$PROTO === 'https' ? 2 : 1}</P212>
    <P237>{$x($host)}</P237>
    <P1360>{$x($PROVISION_USER)}</P1360>
    <P1361>{$x($PROVISION_PASSWORD)}</P1361>
@ } else {
    <P212>{$PROTO === 'https' ? 2 : ($web ? 1 : 0)}</P212>
    <P237>{$x($host)}</P237>
@ }
@ // Dial plan of account 1 (P290, dialplans/grandstream.php)
@ if (isset($DIALPLAN)) {
    <P290>{$x($DIALPLAN)}</P290>
@ }
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     // account 1: P271 active, P47 SIP server, P48 outbound proxy, P35 SIP user ID,
@     // P36 authenticate ID, P34 password, P3 name, P270 account name, P33 voice mail;
@     // account n >= 2: the same fields at P(n+2)01 .. P(n+2)26
@     $p = $i === 1
@         ? array('active' => 271, 'server' => 47, 'proxy' => 48, 'user' => 35, 'auth' => 36,
@                 'pass' => 34, 'name' => 3, 'label' => 270, 'vm' => 33)
@         : array('active' => ($i + 2) * 100 + 1, 'server' => ($i + 2) * 100 + 2,
@                 'proxy' => ($i + 2) * 100 + 3, 'user' => ($i + 2) * 100 + 4,
@                 'auth' => ($i + 2) * 100 + 5, 'pass' => ($i + 2) * 100 + 6,
@                 'name' => ($i + 2) * 100 + 7, 'label' => ($i + 2) * 100 + 17,
@                 'vm' => ($i + 2) * 100 + 26);
@     if ($line === null) {
    <P{$p['active']}>0</P{$p['active']}>
@         continue;
@     }
    <P{$p['active']}>1</P{$p['active']}>
    <P{$p['server']}>{$x($OPERATOR_IP)}</P{$p['server']}>
    <P{$p['proxy']}></P{$p['proxy']}>
    <P{$p['user']}>{$x($line['SIP_USERNAME'])}</P{$p['user']}>
    <P{$p['auth']}>{$x($line['SIP_USERNAME'])}</P{$p['auth']}>
    <P{$p['pass']}>{$x($line['SIP_PASSWORD'])}</P{$p['pass']}>
    <P{$p['name']}>{$x($line['USER_FULLNAME'])}</P{$p['name']}>
    <P{$p['label']}>{$x($line['TELNUM'])}</P{$p['label']}>
    <P{$p['vm']}>{$x($VOICEMAIL_EXT)}</P{$p['vm']}>
@ }
  </config>
</gs_provision>
