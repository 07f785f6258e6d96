# {$IDENT} {$flavour}
dialplan={$DIALPLAN}
@ foreach ($LINES as $i => $line) {
line{$i + 1}={$line['SIP_USERNAME']}
@ }
