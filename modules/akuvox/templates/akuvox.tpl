@ // Akuvox configuration file: "Config.<Module>.<Section>.<Key> = value", one per line
@ // (Akuvox Autop configuration format; key names as in the devices' own exported
@ // configuration).  Accounts are Config.Account1 .. Config.Account<n>.
@ $v = function ($s) { return str_replace(array("\r", "\n"), ' ', (string) $s); };
## provhost {$MODULE_ID}: {$PHONE_TYPE_NAME} {$MAC}
Config.Settings.SNTP.Enable = 1
Config.Settings.SNTP.TimeZone = {$timezone}
Config.Settings.SNTP.DTS = 0
Config.Settings.Web_Login.Password = {$v($ADMIN_PASSWORD)}
@ for ($i = 1; $i <= $MAX_LINES; $i++) {
@     $line = $LINES[$i - 1] ?? null;
@     if ($line === null) {
Config.Account{$i}.GENERAL.Enable = 0
@         continue;
@     }
Config.Account{$i}.GENERAL.Enable = 1
Config.Account{$i}.GENERAL.Label = {$v($line['TELNUM'])}
Config.Account{$i}.GENERAL.DisplayName = {$v($line['USER_FULLNAME'] !== '' ? $line['USER_FULLNAME'] : $line['TELNUM'])}
Config.Account{$i}.GENERAL.UserName = {$v($line['SIP_USERNAME'])}
Config.Account{$i}.GENERAL.AuthName = {$v($line['SIP_USERNAME'])}
Config.Account{$i}.GENERAL.Pwd = {$v($line['SIP_PASSWORD'])}
Config.Account{$i}.SIP.Server = {$OPERATOR_IP}
Config.Account{$i}.SIP.Port = 5060
@ }
