<?xml version="1.0" encoding="utf-8"?>
@ // Snom XML settings format (Snom Service wiki, "XML Provisioning of Settings"):
@ // <settings><phone-settings e="2"> holds one element per setting; e="2" says values are
@ // XML-escaped.  perm="R": read-only for the user; perm="RW": the user may change it until
@ // the next provisioning overwrites it.
<!-- provhost {$MODULE_ID}: settings common to every Snom; the phone's own follow in its MAC file -->
<settings>
  <phone-settings e="2">
    <update_policy perm="R">auto_update</update_policy>
  </phone-settings>
</settings>
