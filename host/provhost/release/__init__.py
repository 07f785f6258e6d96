"""Releases of provhost itself and the safe upgrade between them (docs/upgrade.md)."""
