@ // Escene configuration XML, without XML declaration like the phones' own files: root
@ // <all>, each group a container holding one element whose attributes are the settings.
@ $x = function ($v) { return htmlspecialchars((string) $v, ENT_XML1 | ENT_QUOTES, 'UTF-8'); };
@ $http = in_array($PROTO, array('http', 'https'), true);
@ $server = ($http ? ($REQUEST_HEADERS['host'] ?? $OPERATOR_IP) : $OPERATOR_IP)
@     . '/prov/' . $MODULE_ID . '/' . $IDENT;
@ // protocol: 0 TFTP, 1 HTTP, 3 HTTPS
@ $protocol = $PROTO === 'https' ? '3' : ($http ? '1' : '0');
@ $withAuth = ($PROVISION_PASSWORD ?? '') !== '';
<all>
<!-- provhost {$x($MODULE_ID)}: {$x($PHONE_TYPE_NAME)} {$x($MAC)} -->
<Privisions>
<privision AutoPrivisionFlag="1" DHCPOptionFlag="1" DHCPOptionValue="66" protocol="{$protocol}" Firmware="{$x($server)}" username="{$withAuth ? $x($PROVISION_USER) : ''}" password="{$withAuth ? $x($PROVISION_PASSWORD) : ''}" Downloadconfig="1" DownloadExtension="0" DownloadPhonebook="0" DownloadPersonPhonebook="0" Bootingchecked="1"/>
</Privisions>
<calls>
<call CallLeaveMessageNum="{$x($VOICEMAIL_EXT)}"/>
</calls>
<SysTimes>
<systime SNTPEnableFlag="0" TimeZoneType="{$timezoneType}" DaylightSaveingFlag="0"/>
</SysTimes>
<lcds>
<lcd Password="{$x($ADMIN_PASSWORD)}"/>
</lcds>
<sipUsers>
@ for ($i = 0; $i < $MAX_LINES; $i++) {
@     $line = $LINES[$i] ?? null;
@     if ($line === null) {
<sipUser id="{$i}" EnableAccount="0"/>
@         continue;
@     }
<sipUser id="{$i}" EnableAccount="1" Describe="{$x($line['TELNUM'])}" DomainName="{$x($OPERATOR_IP)}" UserName="{$x($line['USER_FULLNAME'] !== '' ? $line['USER_FULLNAME'] : $line['TELNUM'])}" UserNumber="{$x($line['SIP_USERNAME'])}" approveName="{$x($line['SIP_USERNAME'])}" Password="{$x($line['SIP_PASSWORD'])}" ProxyServerAddress="{$x($OPERATOR_IP)}" CallLeaveMessageNum="{$x($VOICEMAIL_EXT)}"/>
@ }
</sipUsers>
</all>
