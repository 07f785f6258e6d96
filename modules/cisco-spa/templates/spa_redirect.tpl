<flat-profile>
<!-- provhost: redirect to a profile that names the model and the MAC address -->
  <Profile_Rule ua="na">/Cisco/$PN/$MA.cfg</Profile_Rule>
  <Resync_Periodic ua="na">5</Resync_Periodic>
</flat-profile>
