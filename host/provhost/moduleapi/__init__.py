"""What a module script sees of the host: its globals ($DIALPLAN_DATA included) and the
fingerprint of a phone's configuration inputs.  Pure functions, no I/O."""
