<?xml version="1.0" encoding="UTF-8"?>
@ // XMLDefault.cnf.xml: what a phone reads when it finds no SEP<MAC>.cnf.xml.  We answer
@ // every SEP file, so this only points a phone at the PBX, without lines.
@ $x = function ($s) { return htmlspecialchars((string) $s, ENT_XML1 | ENT_QUOTES, 'UTF-8'); };
<Default>
  <callManagerGroup>
    <members>
      <member priority="0">
        <callManager>
          <ports><ethernetPhonePort>2000</ethernetPhonePort><sipPort>5060</sipPort></ports>
          <processNodeName>{$x($OPERATOR_IP)}</processNodeName>
        </callManager>
      </member>
    </members>
  </callManagerGroup>
</Default>
