{$old}
dialplan={generateDialplan()} / {generateDialplan('kc')}
