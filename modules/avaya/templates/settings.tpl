@ // 46xxsettings.txt: "SET NAME value" lines; "##" starts a comment (Avaya J100
@ // administration guide, "Contents of the settings file").  Only settings every phone
@ // shares are here; the last line fetches the phone's own file.
@ $off = abs(intdiv($TIMEZONE_OFFSET, 60));
@ $gmt = sprintf('%s%d:%02d', $TIMEZONE_OFFSET < 0 ? '-' : '', intdiv($off, 60), $off % 60);
## provhost {$MODULE_ID}: settings shared by every phone
SET ENABLE_AVAYA_ENVIRONMENT 0
SET DISCOVER_AVAYA_ENVIRONMENT 0
SET ENABLE_3PCC_ENVIRONMENT 1
SET SIPDOMAIN {$OPERATOR_IP}
SET MWISRVR {$OPERATOR_IP}
SET GMTOFFSET "{$gmt}"
SET DSTOFFSET 0
SET ENABLE_OOD_RESET_NOTIFY 1
@ if ($VOICEMAIL_EXT !== '') {
SET MSGNUM "{$VOICEMAIL_EXT}"
@ }
@ $plan = isset($DIALPLAN_avaya) ? $DIALPLAN_avaya : '';
@ if ($plan !== '') {
SET DIALPLAN "{$plan}"
@ }
GET $MACADDR.txt
