@ // MiVoice 53xx SIP: <Parameter><user_list> with one <User> element per line, the
@ // server fields per SIP function (registrar, proxy, voice mail, events); Scheme 2 = UDP.
@ $x = function ($s) { return htmlspecialchars((string) $s, ENT_XML1 | ENT_QUOTES, 'UTF-8'); };
<Parameter>
   <user_list>
@ foreach (array_slice($LINES, 0, $MAX_LINES) as $n => $line) {
@     $ip = $x($OPERATOR_IP);
      <User State="1" ID="{$x($line['SIP_USERNAME'])}" DispName="{$x($line['USER_FULLNAME'])}" Pwd="{$x($line['SIP_PASSWORD'])}" AuthName="{$x($line['SIP_USERNAME'])}" Realm="" RegSvr="{$ip}" RegPort="5060" RegScheme="2" ProxySvr="{$ip}" ProxyPort="5060" ProxyScheme="2" VMSvr="{$ip}" VMPort="5060" VMScheme="2" OutSvr="" OutPort="5060" OutCtr="0" Ring="1" Line="{$n}" EventSvr="{$ip}" EventPort="5060" EventScheme="2" NatMode="0" NatType="option" NatIp="0" BlfGroup=""></User>
@ }
   </user_list>
</Parameter>
