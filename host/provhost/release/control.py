"""Starting and stopping `provhost serve` for an upgrade: a systemd unit, or a process.

`DATA/service.json` says how the server of this data directory runs:

* `{"mode": "systemd", "unit": "provhost.service", ...}` (written by `provhost service
  unit`): stop and start through systemctl; systemd's stop sends SIGTERM, which the server
  treats as a drain.
* `{"mode": "process", "args": [...], "pid": N, ...}` (written by `provhost service start`):
  the server is a detached process of `PREFIX/current/venv/bin/provhost` with those
  arguments; stop is SIGTERM (drain) then, after the bound, SIGKILL.

Both record where the health check looks (listen address and ports).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SERVICE_FILE = "service.json"


class ControlError(Exception):
    """The server could not be started or stopped; the message says why."""


@dataclass
class ServiceConfig:
    mode: str = "process"  # process | systemd
    unit: str = "provhost.service"
    args: list[str] = field(default_factory=list)  # `provhost serve` arguments
    pid: int = 0
    host: str = "127.0.0.1"  # where the health check reaches the server
    http_port: int = 8080
    tftp_port: int = 6969
    api_host: str = "127.0.0.1"
    api_port: int = 8081
    drain_timeout: float = 10.0

    @classmethod
    def load(cls, data_dir: Path) -> ServiceConfig:
        path = data_dir / SERVICE_FILE
        if not path.is_file():
            return cls()
        raw: dict[str, Any] = json.loads(path.read_text())
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def save(self, data_dir: Path) -> None:
        path = data_dir / SERVICE_FILE
        tmp = path.with_name(SERVICE_FILE + ".tmp")
        tmp.write_text(json.dumps(self.__dict__, indent=1, sort_keys=True) + "\n")
        tmp.replace(path)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours is not serving
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def is_running(data_dir: Path) -> bool:
    cfg = ServiceConfig.load(data_dir)
    if cfg.mode == "systemd":
        return subprocess.run(["systemctl", "is-active", "--quiet", cfg.unit],
                              check=False).returncode == 0
    return _alive(cfg.pid)


def start(data_dir: Path, provhost_bin: Path) -> int:
    """Start the server (if it is not running); return its pid (0 under systemd)."""
    cfg = ServiceConfig.load(data_dir)
    if cfg.mode == "systemd":
        _systemctl("start", cfg.unit)
        return 0
    if _alive(cfg.pid):
        return cfg.pid
    log = (data_dir / "service.log").open("ab")
    env = {**os.environ, "PROVHOST_DRAIN_TIMEOUT": str(cfg.drain_timeout)}
    env.pop("PROVHOST_UPGRADE_ID", None)
    proc = subprocess.Popen([str(provhost_bin), "--data-dir", str(data_dir), "serve",
                             *cfg.args], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            start_new_session=True, env=env, cwd=str(data_dir))
    log.close()
    cfg.pid = proc.pid
    cfg.save(data_dir)
    return proc.pid


def stop(data_dir: Path) -> bool:
    """Drain and stop the server; True if it was running.  SIGKILL after the bound."""
    cfg = ServiceConfig.load(data_dir)
    if cfg.mode == "systemd":
        _systemctl("stop", cfg.unit)
        return True
    if not _alive(cfg.pid):
        return False
    os.kill(cfg.pid, signal.SIGTERM)
    deadline = time.monotonic() + cfg.drain_timeout + 5.0
    while _alive(cfg.pid) and time.monotonic() < deadline:
        _reap(cfg.pid)
        time.sleep(0.05)
    if _alive(cfg.pid):
        os.kill(cfg.pid, signal.SIGKILL)
        while _alive(cfg.pid):
            _reap(cfg.pid)
            time.sleep(0.05)
    _reap(cfg.pid)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _systemctl(verb: str, unit: str) -> None:
    proc = subprocess.run(["systemctl", verb, unit], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise ControlError(f"systemctl {verb} {unit}: {proc.stderr.strip() or proc.returncode}")


def unit_text(prefix: Path, data_dir: Path, *, user: str = "provhost",
              serve_args: list[str] | None = None, drain_timeout: float = 10.0) -> str:
    """A systemd unit for `provhost serve` of the installed layout (docs/operations.md)."""
    args = " ".join(serve_args or [])
    return f"""[Unit]
Description=provhost phone provisioning server
Documentation=file://{prefix}/current/docs/operations.md
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User={user}
Environment=PROVHOST_DATA={data_dir}
Environment=PROVHOST_DRAIN_TIMEOUT={drain_timeout:g}
ExecStart={prefix}/current/venv/bin/provhost --data-dir {data_dir} serve{(" " + args) if args else ""}
# SIGTERM drains (no new connections, transfers in flight finish); then it is killed
KillSignal=SIGTERM
TimeoutStopSec={int(drain_timeout) + 10}
Restart=on-failure
RestartSec=2
# binding ports 69 and 80 without root (docs/operations.md)
AmbientCapabilities=CAP_NET_BIND_SERVICE
# not NoNewPrivileges=yes: a setuid bubblewrap (hosts without unprivileged user
# namespaces) must keep working for the module sandboxes
ReadWritePaths={data_dir}
ProtectSystem=full
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
"""
