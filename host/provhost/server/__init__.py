"""The phone-facing servers (HTTP(S), TFTP) and the management API, all under one trio run."""
