# Panasonic SIP Phone Standard Format File # DO NOT CHANGE THIS LINE!
@ // Pre-provisioning file (Administrator Guide, "Configuration File Specifications": the
@ // first line above is the 44-byte sequence the phone checks; CRLF line ends; the file
@ // ends with an empty line).  {MODEL} and {MAC} are expanded by the phone itself.
@ $scheme = in_array($PROTO, array('http', 'https'), true) ? $PROTO : 'tftp';
@ $server = $scheme !== 'tftp' && isset($REQUEST_HEADERS['host']) ? $REQUEST_HEADERS['host'] : $OPERATOR_IP;
CFG_STANDARD_FILE_PATH="{str_replace(array('"', ' '), '', $scheme . '://' . $server)}/panasonic/{MODEL}/Config{MAC}.cfg"
CFG_PRODUCT_FILE_PATH=""
CFG_MASTER_FILE_PATH=""
CFG_RESYNC_FROM_SIP="check-sync"

