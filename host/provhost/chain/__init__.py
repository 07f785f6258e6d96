"""The provisioning chain: a request is normalised once, then offered to each enabled module
in sequence order until one answers."""
