"""Worker launchers and isolation policies: pure builders of bwrap argv, seccomp BPF and PHP ini.

Nothing here spawns a process; the runtime (provhost.runtime.native) does the I/O.
"""
