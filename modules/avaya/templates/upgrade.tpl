## provhost {$MODULE_ID}: no firmware is offered; go on to the settings file.
GET 46xxsettings.txt
