"""Runtimes execute module scripts in a sandbox; the host talks to them only through `interface`."""
