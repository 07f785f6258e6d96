@ // A SmartNode met over TFTP with no User-Agent: the model is unknown, so this
@ // startup-config only keeps the WAN up (DHCP on eth0) and, a minute after boot, fetches
@ // the real configuration over HTTP from the server of DHCP option 66, where the
@ // SmartNode's User-Agent names its model (providers/patton.php).
cli version 3.20
clock local default-offset {$clockOffset}
timer PROVHOST_BOOT now + 1 minute "provisioning execute PF_PROVHOST"
profile provisioning PF_PROVHOST
  destination configuration
  location 1 http://$(dhcp.66)/prov/{$MODULE_ID}/$(system.mac).cfg
  activation reload graceful
context ip router
  interface eth0
    ipaddress dhcp
port ethernet 0 0
  medium auto
  encapsulation ip
  bind interface eth0 router
  no shutdown
