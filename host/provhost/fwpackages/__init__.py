"""Firmware packages: where a module's firmware comes from, pinned by hash; download, install, mirror."""
