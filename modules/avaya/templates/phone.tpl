@ // <MAC>.txt: this phone's SIP account (third-party call control auto-login) and web
@ // administration password.
@ $q = function ($s) { return str_replace(array('"', "\r", "\n"), '', (string) $s); };
@ $line = $LINES[0] ?? null;
## provhost {$MODULE_ID}: {$PHONE_TYPE_NAME} {$MAC}
SET ADMIN_PASSWORD "{$q($ADMIN_PASSWORD)}"
@ if ($line !== null) {
SET FORCE_SIP_EXTENSION "{$q($line['TELNUM'])}"
SET FORCE_SIP_USERNAME "{$q($line['SIP_USERNAME'])}"
SET FORCE_SIP_PASSWORD "{$q($line['SIP_PASSWORD'])}"
SET SIPUSERNAME "{$q($line['SIP_USERNAME'])}"
SET SIPUSERPASSWORD "{$q($line['SIP_PASSWORD'])}"
SET DISPLAY_NAME "{$q($line['USER_FULLNAME'])}"
@ }
