"""A private PostgreSQL cluster for the tests: Debian's server binaries, a temporary
directory, a Unix socket only (no TCP port), stopped afterwards.

Why not a system service: CI runs as root in a fresh clone and must not depend on (or
disturb) a cluster the machine may or may not run.  PostgreSQL refuses to run as root, so
as root the cluster runs as Debian's `postgres` account; otherwise as the current user.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

PORT = 5432  # only names the socket file (.s.PGSQL.5432) inside our private directory


def server_bin_dir() -> Path:
    """The newest Debian PostgreSQL server (`postgresql` package, scripts/install)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql: "
                           "run scripts/install (Debian package `postgresql`)")
    return Path(found[-1]).parent


def _cluster_user() -> str:
    import pwd

    try:
        pwd.getpwnam("postgres")
        return "postgres"
    except KeyError:
        raise RuntimeError("no `postgres` account: run scripts/install (Debian package "
                           "`postgresql`)") from None


class PgCluster:
    """One running cluster; `new_database()` gives every test its own empty database."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="provhost-pg-"))
        self.data = self.dir / "data"
        self.bin = server_bin_dir()
        # as root: Debian's `postgres` account (never the sandbox's `nobody`: the database
        # and the sandboxed module scripts must not share a user)
        self._user = _cluster_user() if os.geteuid() == 0 else None
        self._names = itertools.count(1)
        self._prefix = f"t{os.getpid()}_"
        if self._user:
            shutil.chown(self.dir, self._user)
        self.dir.chmod(0o755)

    def _run(self, *args: str) -> None:
        subprocess.run([str(self.bin / args[0]), *args[1:]], check=True, user=self._user,
                       cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> PgCluster:
        # fsync off: the tests kill provhost processes, never this cluster; committed data
        # survives a provhost SIGKILL because PostgreSQL itself keeps running
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--locale=C.UTF-8", "--encoding=UTF8", "-N")
        opts = (f"-k {self.dir} -c listen_addresses='' -p {PORT} -c fsync=off "
                "-c full_page_writes=off -c max_connections=300")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-o", opts,
                  "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@/{dbname}?host={self.dir}&port={PORT}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = f"{self._prefix}{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)


@contextlib.contextmanager
def running_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()
