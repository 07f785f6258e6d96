# provhost {$MODULE_ID}: SIPDefault.cnf, settings shared by every 7940/7960
@ // Parameters: Cisco "Cisco Unified IP Phone 7960G and 7940G Administration Guide for
@ // SIP" 8.x, "Configuration Parameters" (name: value; '#' starts a comment).
@ $q = function ($s) { return '"' . str_replace(array('"', "\r", "\n"), '', (string) $s) . '"'; };
@ // time_zone takes the firmware's own abbreviations (Administration Guide, "time_zone");
@ // offsets without one fall back to GMT.
@ $zones = array(-36000 => 'HST', -32400 => 'AKST', -28800 => 'PST', -25200 => 'MST',
@     -21600 => 'CST', -18000 => 'EST', -14400 => 'AST', -12600 => 'NST', 0 => 'GMT',
@     3600 => 'CET', 7200 => 'EET', 10800 => 'MSK', 19800 => 'IST', 28800 => 'CCT',
@     32400 => 'JST', 34200 => 'ACST', 36000 => 'AEST', 43200 => 'NZST');
proxy1_address: {$q($OPERATOR_IP)}
proxy1_port: 5060
proxy_register: 1
messages_uri: {$q($VOICEMAIL_EXT)}
dial_template: "provhost-cisco-dialplan"
sntp_mode: unicast
sntp_server: {$q($OPERATOR_IP)}
time_zone: {$zones[(int) $TIMEZONE_OFFSET] ?? 'GMT'}
dst_auto_adjust: 0
nat_enable: 0
