"""The provisioning module format: parsing and validating info, phone_types, firmware_types,
templates and archives.  Pure functions only: nothing here touches a socket or a process."""
