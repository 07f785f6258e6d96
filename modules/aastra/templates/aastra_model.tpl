# provhost {$MODULE_ID}: model file; every setting of this phone is in its <MAC>.cfg
