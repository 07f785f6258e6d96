@ // 12x0SIP.cfg (Administration guide NN43170-601, "Provisioning file"): one section,
@ // [USER_CONFIG]; VERSION is mandatory, FORCED downloads SIP<MAC>.cfg on every boot,
@ // PROTOCOL is the one this request came in with (TFTP is the phone's default).
[USER_CONFIG]
DOWNLOAD_MODE FORCED
VERSION 000001
PROTOCOL {$PROTO === 'https' ? 'HTTPS' : ($PROTO === 'http' ? 'HTTP' : 'TFTP')}
