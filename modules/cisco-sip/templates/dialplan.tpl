@ // The dial template every phone of this module names (dialTemplate / dial_template):
@ // the same for all of them, from dialplans/ciscoxml.php.
@ echo $DIALPLAN_ciscoxml ?? "<DIALTEMPLATE>\n  <TEMPLATE MATCH=\"*\" Timeout=\"5\"/>\n</DIALTEMPLATE>\n";
