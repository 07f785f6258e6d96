@ // <model>S.inf (ST2030 SIP administrator guide, "Information file"): [config]
@ // "config" is the URL of the directory holding <model>S_<MAC>.txt.
@ $web = in_array($PROTO, array('http', 'https'), true);
@ $host = $web && isset($REQUEST_HEADERS['host']) ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
[config]
config={$web ? $PROTO : 'tftp'}://{$host}/
