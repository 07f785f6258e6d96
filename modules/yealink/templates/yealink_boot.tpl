#!version:1.0.0.1
@ // MAC-oriented boot file (Yealink Auto Provisioning Guide V81, "Boot Files"): the first
@ // line must be exactly the version header; each include:config names one CFG file,
@ // relative to the boot file.  overwrite_mode = 1: a parameter we leave out goes back to
@ // its factory value, so what the phone runs is what we serve.
## provhost {$MODULE_ID}: {$PHONE_TYPE_NAME} {$MAC}
include:config "{$MAC}.cfg"
overwrite_mode = 1
