"""Telling a phone to reload its configuration (resync)."""
