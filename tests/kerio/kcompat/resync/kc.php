<?php
// R context: $LAST_IP, $LAST_CONFIG, module globals and PHP's sockets API, the way Kerio's own
// SIPNOTIFY was written; urlopenPhone() failing as fopen() does.
$port = (int)$kc_udp_port;
$sock = socket_create(AF_INET, SOCK_DGRAM, SOL_UDP);
$url = @urlopenPhone('http', '/nothing-listens-here', array('port' => $port));
$report = json_encode(array(
    'LAST_IP' => $LAST_IP, 'OPERATOR_IP' => $OPERATOR_IP, 'count' => $kc_count,
    'TIMEZONE' => $TIMEZONE, 'url_is_false' => $url === false,
    'elsewhere' => @socket_sendto($sock, 'x', 1, 0, '192.0.2.1', $port),
));
$sent = socket_sendto($sock, $report, strlen($report), 0, $LAST_IP, $port);
socket_getsockname($sock, $localAddr, $localPort);
$read = array($sock);
$write = $except = null;
$ready = socket_select($read, $write, $except, 5);
$got = socket_recvfrom($sock, $answer, 2048, 0, $from, $fromPort);
$final = json_encode(array('sent' => $sent, 'ready' => $ready, 'answer' => $answer,
    'from' => $from, 'fromPort' => $fromPort, 'localPort' => $localPort,
    'localAddr' => $localAddr));
socket_sendto($sock, $final, strlen($final), 0, $LAST_IP, $port);
socket_close($sock);
setModuleVar('kc_resynced', 'yes');
