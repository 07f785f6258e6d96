@ // First contact without a User-Agent (TFTP): we cannot tell the model, so only point the
@ // phone at its HTTP profile, where it names itself (providers/audiocodes.php).
provisioning/method=STATIC
provisioning/configuration/url=http://{$OPERATOR_IP}/prov/{$MODULE_ID}/<MAC>.cfg
provisioning/check_sync/enabled=1
