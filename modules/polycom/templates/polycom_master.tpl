<?xml version="1.0" standalone="yes"?>
<!-- provhost: Polycom master configuration (UC Software Administrator Guide) -->
<APPLICATION APP_FILE_PATH="sip.ld" CONFIG_FILES="polycom-[PHONE_MODEL]-[PHONE_MAC_ADDRESS].cfg" MISC_FILES="" LOG_FILE_DIRECTORY="" OVERRIDES_DIRECTORY="" CONTACTS_DIRECTORY="" LICENSE_DIRECTORY="">
</APPLICATION>
