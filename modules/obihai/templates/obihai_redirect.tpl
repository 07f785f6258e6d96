<?xml version="1.0" encoding="UTF-8"?>
@ // The per-model file every adapter of this model fetches first: only move ITSP
@ // provisioning to the adapter's own file ($DHCPOPT66 and $MAC are the adapter's macros:
@ // the server it used, its MAC) and come back for it within a minute.
@ $scheme = $PROTO === 'tftp' ? 'tftp' : ($PROTO === 'https' ? 'https' : 'http');
@ $server = $PROTO === 'tftp' ? '$DHCPOPT66'
@     : htmlspecialchars($REQUEST_HEADERS['host'] ?? $OPERATOR_IP, ENT_XML1);
<ParameterList>
<Object>
<Name>X_DeviceManagement.ITSPProvisioning.</Name>
<ParameterValueStruct><Name>Method</Name><Value>Periodically</Value></ParameterValueStruct>
<ParameterValueStruct><Name>Interval</Name><Value>60</Value></ParameterValueStruct>
<ParameterValueStruct><Name>ConfigURL</Name><Value>{$scheme}://{$server}/prov/{$MODULE_ID}/{$model}/$MAC.xml</Value></ParameterValueStruct>
</Object>
</ParameterList>
