<?xml version="1.0" standalone="yes"?>
@ // Master configuration file (UC Software Administrator Guide, "Master Configuration
@ // File"): APP_FILE_PATH names the application image, CONFIG_FILES the configuration
@ // files in order (the phone substitutes [PHONE_MODEL] and [PHONE_MAC_ADDRESS]); the
@ // empty directories make the phone upload its logs, overrides and contacts to, and read
@ // them back from, the provisioning root.  Served as /<mac>.cfg (the MAC written out) and
@ // as the default /000000000000.cfg (the MAC left to the phone).
@ $mac = preg_match('~^/([0-9a-f]{12})\.cfg$~i', $PATH, $mm) && $mm[1] !== '000000000000'
@     ? strtolower($mm[1]) : '[PHONE_MAC_ADDRESS]';
<!-- provhost: Polycom master configuration -->
<APPLICATION APP_FILE_PATH="sip.ld" CONFIG_FILES="polycom-[PHONE_MODEL]-{$mac}.cfg" MISC_FILES="" LOG_FILE_DIRECTORY="" OVERRIDES_DIRECTORY="" CONTACTS_DIRECTORY="" LICENSE_DIRECTORY="" USER_PROFILES_DIRECTORY="" CALL_LISTS_DIRECTORY="">
</APPLICATION>
