@ // <model>S_<MAC>.txt: INI sections [sip], [sys], [ntp] (keys as the phone's own
@ // configuration export names them).  The phone reads ISO-8859-1.
@ $latin1 = function ($s) {
@     return preg_replace_callback('~[\x80-\xff]+~', function ($m) {
@         $out = '';
@         foreach (preg_split('~(?=[\xc0-\xff])~', $m[0], -1, PREG_SPLIT_NO_EMPTY) as $ch) {
@             $o = ord($ch[0]);
@             $out .= ($o === 0xc2 || $o === 0xc3) && strlen($ch) === 2
@                 ? chr((($o & 0x1f) << 6) | (ord($ch[1]) & 0x3f)) : '?';
@         }
@         return $out;
@     }, str_replace(array("\r", "\n"), ' ', (string) $s));
@ };
@ // NtpZoneNum: index into the phone's list of 64 zones, chosen by UTC offset.
@ $zones = array('-720' => 0, '-660' => 1, '-600' => 2, '-540' => 3, '-480' => 4,
@     '-420' => 5, '-360' => 8, '-300' => 10, '-240' => 14, '-210' => 15, '-180' => 17,
@     '-120' => 18, '-60' => 19, '0' => 20, '60' => 22, '120' => 28, '180' => 32,
@     '210' => 35, '240' => 36, '270' => 38, '300' => 40, '330' => 41, '345' => 42,
@     '360' => 43, '390' => 45, '420' => 46, '480' => 47, '540' => 50, '570' => 54,
@     '600' => 55, '660' => 60, '720' => 62, '780' => 63);
@ $minutes = (string) intdiv($TIMEZONE_OFFSET, 60);
@ // config_sn: twelve digits that change whenever the file does (the phone applies a
@ // file only when its serial number is new).
@ $serial = strtr(substr(md5(serialize(array($LINES, $ADMIN_PASSWORD, $OPERATOR_IP,
@     $VOICEMAIL_EXT, $TIMEZONE_OFFSET))), 0, 12), 'abcdef', '012345');
; provhost {$MODULE_ID}: {$PHONE_TYPE_NAME} {strtoupper($MAC)}
[sip]
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     if ($line === null) {
TEL0{$i}Use=0
DisplayNumFlag{$i}=0
@         continue;
@     }
TEL0{$i}Use=1
TEL{$i}Number={$latin1($line['SIP_USERNAME'])}
regid{$i}={$latin1($line['SIP_USERNAME'])}
regpwd{$i}={$latin1($line['SIP_PASSWORD'])}
DisplayNumFlag{$i}=1
DisplayNum{$i}={$latin1($line['TELNUM'])}
DisplayName{$i}={$latin1($line['USER_FULLNAME'])}
ProxyServerMP{$i}={$OPERATOR_IP}
@ }
VoiceMailTelNum={$latin1($VOICEMAIL_EXT)}
subscribe_event=1

[sys]
config_sn={$serial}
TelnetPWD={$latin1($ADMIN_PASSWORD)}
WebPWD={$latin1($ADMIN_PASSWORD)}

[ntp]
NtpZoneNum={isset($zones[$minutes]) ? $zones[$minutes] : 20}
