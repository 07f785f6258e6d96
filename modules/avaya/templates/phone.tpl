@ // <MAC>.txt: this phone's SIP account and web administration password.  The account
@ // is logged in without anyone typing by FORCE_SIP_USERNAME/_EXTENSION/_PASSWORD
@ // (96x1 SIP 7.1 and J100 firmware; passwords of at most 13 characters).  The
@ // controller's transport is per family: 96x1 SIP talks TCP or TLS only, not UDP.
@ $q = function ($s) { return str_replace(array('"', "\r", "\n"), '', (string) $s); };
@ $line = $LINES[0] ?? null;
## provhost {$MODULE_ID}: {$MAC}
SET SIP_CONTROLLER_LIST "{$OPERATOR_IP}:5060;transport={$transport}"
SET FORCE_WEB_ADMIN_PASSWORD "{$q($ADMIN_PASSWORD)}"
@ if ($line !== null) {
SET DISPLAY_NAME "{$q($line['USER_FULLNAME'])}"
SET SIP_USER_ACCOUNT "{$q($line['SIP_USERNAME'])}@{$OPERATOR_IP}"
SET SIP_USER_ID "{$q($line['SIP_USERNAME'])}"
SET ENABLE_SIP_USER_ID 1
SET FORCE_SIP_EXTENSION "{$q($line['TELNUM'])}"
SET FORCE_SIP_USERNAME "{$q($line['SIP_USERNAME'])}"
SET FORCE_SIP_PASSWORD "{$q($line['SIP_PASSWORD'])}"
@ }
