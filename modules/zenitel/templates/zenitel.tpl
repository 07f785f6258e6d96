@ // IP station configuration (INI): sections [general], [sip], [call]; each key indented
@ // by one blank, as in the station's own exported files (Zenitel "IP Station
@ // Configuration Manual", "Configuration file").  The SIP account is the phone's first
@ // line; with none, the station gets an empty account (it stays unregistered).
@ $v = function ($s) { return str_replace(array("\r", "\n"), ' ', (string) $s); };
[general]
 auto_update_interval=60

[sip]
 nick_name={$line === null ? '' : $v($line['USER_FULLNAME'] !== '' ? $line['USER_FULLNAME'] : $line['TELNUM'])}
 sip_id={$line === null ? '' : $v($line['SIP_USERNAME'])}
 sip_domain={$OPERATOR_IP}
 sip_domain2=
 auth_user={$line === null ? '' : $v($line['SIP_USERNAME'])}
 auth_pwd={$line === null ? '' : $v($line['SIP_PASSWORD'])}
 register_interval=600
