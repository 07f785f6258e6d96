"""`provhost upgrade`: the I/O around the pure state machine of machine.py.

The driver loops: ask `next_action(journal)`, persist the journal saying what is about to
run, run it, persist the result.  Each forward step and each undo is one function below,
named as in machine.STEPS.  Every undo is idempotent (a kill -9 may have stopped its step
half-way, or the undo itself).  After `fetched`, the driver re-executes the new release's
own `provhost upgrade`, so that the newest upgrade logic runs the rest.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import trio

from provhost.moduleformat.info import compare_versions
from provhost.paths import SOURCE_ROOT, Paths
from provhost.release import control, health, journal, layout, machine, scripts, snapshot
from provhost.release.artifact import ArtifactError, unpack
from provhost.release.fetch import FetchError, fetch_index, fetch_release, serial_source
from provhost.release.index import newest
from provhost.release.machine import Journal
from provhost.repo.index import IndexRefused, RepoIndex
from provhost.version import version as running_version

CONTINUE_ENV = "PROVHOST_UPGRADE_CONTINUE"


class UpgradeError(Exception):
    """The upgrade cannot start; one line says why (nothing was changed)."""


@dataclass
class Options:
    data_dir: Path
    prefix: Path
    source: str = ""
    public_key: bytes = b""
    channel: str = "stable"
    target_version: str | None = None
    yes: bool = False
    health_timeout: float = 30.0
    script_timeout: float = 300.0


Say = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    index: RepoIndex
    digest: str
    from_version: str
    to_version: str
    entry_file: str


async def plan(opts: Options) -> Plan:
    """Fetch and verify the index, pick the release; UpgradeError when there is none."""
    lay = layout.Layout(opts.prefix)
    current = lay.current_version()
    if current is None:
        raise UpgradeError(f"{opts.prefix} is not an installed prefix (no `current`); "
                           "install a release first: provhost release install")
    work = journal.upgrade_dir(opts.data_dir) / "download"
    try:
        index, digest = await fetch_index(opts.source, work, opts.public_key,
                                          opts.data_dir / "provhost.sqlite",
                                          channel=opts.channel)
        if opts.target_version:
            entries = [e for e in index.entries("provhost")
                       if compare_versions(e.version, opts.target_version) == 0]
            if not entries:
                raise UpgradeError(f"{opts.source}: no release {opts.target_version} in the "
                                   "index")
            entry = entries[0]
        else:
            entry = newest(index)
    except (FetchError, IndexRefused) as e:
        raise UpgradeError(str(e)) from None
    if compare_versions(entry.version, current) <= 0:
        raise UpgradeError(f"provhost {current} is installed; the index offers "
                           f"{entry.version}: nothing newer (a downgrade is refused)")
    if compare_versions(current, entry.min_provhost) < 0:
        raise UpgradeError(f"provhost {entry.version} needs at least {entry.min_provhost} "
                           f"to upgrade from; {current} is installed: upgrade in two steps")
    return Plan(index, digest, current, entry.version, entry.file)


def describe_plan(p: Plan, opts: Options) -> str:
    cfg = control.ServiceConfig.load(opts.data_dir)
    return "\n".join([
        f"provhost upgrade: {p.from_version} -> {p.to_version} "
        f"(index serial {p.index.serial}, channel {p.index.channel}, {opts.source})",
        "  1. download and verify the release, install it beside the current one and "
        "re-run this upgrade with the new release's upgrader",
        "  2. run pre-upgrade.d scripts (the release's and "
        f"{opts.data_dir / 'pre-upgrade.d'})",
        "  3. snapshot the store, drain and stop the server "
        f"({cfg.mode}), migrate the store, switch {opts.prefix / 'current'}",
        f"  4. run post-upgrade.d scripts, start the server, check HTTP, TFTP and the API "
        f"(up to {opts.health_timeout:.0f} s)",
        "  any failure from 3 on rolls back: store snapshot restored, old release serving",
    ])


def new_journal(p: Plan, opts: Options) -> Journal:
    upgrade_id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
    data = {"source": opts.source, "channel": opts.channel, "prefix": str(opts.prefix),
            "public_key": opts.public_key.hex(), "file": p.entry_file,
            "serial": str(p.index.serial), "digest": p.digest,
            "yes": "1" if opts.yes else "", "health_timeout": str(opts.health_timeout),
            "script_timeout": str(opts.script_timeout),
            "was_running": "1" if control.is_running(opts.data_dir) else "",
            "started": str(time.time())}
    return Journal(id=upgrade_id, from_version=p.from_version, to_version=p.to_version,
                   data=data)


class Driver:
    """Runs one journal to its end; `say` prints progress for the administrator."""

    def __init__(self, data_dir: Path, j: Journal, say: Say) -> None:
        self.data_dir = data_dir
        self.j = j
        self.say = say
        self.lay = layout.Layout(Path(j.data["prefix"]))

    # -- plumbing ---------------------------------------------------------------------
    def _save(self, j: Journal) -> None:
        self.j = j
        journal.save(self.data_dir, j)

    def log(self, text: str) -> None:
        journal.log_line(self.data_dir, self.j.id, text)
        self.say(text)

    @property
    def new_dir(self) -> Path:
        return self.lay.release_dir(self.j.to_version)

    @property
    def snapshot_path(self) -> Path:
        return journal.upgrade_dir(self.data_dir) / f"{self.j.id}.snapshot.sqlite"

    def _env(self, bin_version: str) -> dict[str, str]:
        bindir = self.lay.release_dir(bin_version) / "venv" / "bin"
        return {**os.environ,
                "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                "PROVHOST_DATA": str(self.data_dir),
                "PROVHOST_PREFIX": str(self.lay.prefix),
                "PROVHOST_OLD_VERSION": self.j.from_version,
                "PROVHOST_NEW_VERSION": self.j.to_version,
                "PROVHOST_OLD_RELEASE": str(self.lay.release_dir(self.j.from_version)),
                "PROVHOST_NEW_RELEASE": str(self.new_dir),
                "PROVHOST_UPGRADE_ID": self.j.id,
                "PROVHOST_UPGRADE_WORK": str(self._work()),
                "PROVHOST_UPGRADER_PID": str(os.getpid())}

    def _work(self) -> Path:
        d = journal.upgrade_dir(self.data_dir) / self.j.id
        d.mkdir(mode=0o700, exist_ok=True)
        return d

    def _target(self) -> health.Target:
        cfg = control.ServiceConfig.load(self.data_dir)
        token_file = self.data_dir / "api-token"
        token = token_file.read_text().strip() if token_file.is_file() else ""
        return health.Target(cfg.host, cfg.http_port, cfg.tftp_port, cfg.api_host,
                             cfg.api_port, token)

    def _alive(self) -> bool:
        return control.is_running(self.data_dir)

    # -- the loop ---------------------------------------------------------------------
    async def run(self) -> Journal:
        while True:
            act = machine.next_action(self.j)
            if act.kind == "finish":
                return self._finish(act.state)
            step: Callable[[], Awaitable[None]] = getattr(self, act.action)
            started = time.monotonic()
            if act.kind == "do":
                self._save(machine.starting(self.j, act.state))
                self.log(f"== {act.state}: {act.action}")
                try:
                    await step()
                except Exception as e:  # any failure of a step rolls back
                    msg = str(e).strip() or type(e).__name__
                    self.log(f"!! {act.state} failed: {msg}")
                    self._save(machine.failed(self.j, act.state, msg))
                    continue
                self.j.data[f"t_{act.state}"] = f"{time.monotonic() - started:.2f}"
                self._save(machine.completed(self.j, act.state))
                if act.state == "fetched":
                    self._reexec_new_upgrader()
            else:
                self.log(f"<< undo {act.state}: {act.action}")
                try:
                    await step()
                except Exception as e:
                    msg = str(e).strip() or type(e).__name__
                    self.log(f"!! undo of {act.state} failed: {msg}")
                    self._save(machine.undo_failed(self.j, act.state, msg))
                    continue
                self._save(machine.undone(self.j, act.state))

    def _finish(self, outcome: str) -> Journal:
        j = machine.finished(self.j, outcome) if self.j.phase != outcome else self.j
        seconds = time.time() - float(j.data.get("started", time.time()))
        messages = {
            "done": f"provhost upgraded {j.from_version} -> {j.to_version} in {seconds:.1f} s",
            "aborted": f"upgrade {j.from_version} -> {j.to_version} stopped before anything "
                       f"changed: {j.error}",
            "rolled-back": f"upgrade {j.from_version} -> {j.to_version} FAILED and was rolled "
                           f"back; {j.from_version} is serving: {j.error}",
            "failed": f"upgrade {j.from_version} -> {j.to_version} FAILED and its rollback "
                      f"did not complete; look at {journal.log_path(self.data_dir, j.id)}: "
                      f"{j.error}",
        }
        self.j = j
        self.log(messages[outcome])
        if outcome == "failed":
            self._save(j)  # keep the journal: --resume retries the rollback
            return j
        record = {"outcome": outcome, "seconds": round(seconds, 2),
                  "log": str(journal.log_path(self.data_dir, j.id))}
        shutil.rmtree(self._work(), ignore_errors=True)
        if outcome == "done" or outcome == "rolled-back":
            self.snapshot_path.unlink(missing_ok=True)
        journal.close(self.data_dir, j, record)
        return j

    def _reexec_new_upgrader(self) -> None:
        """Hand over to the new release's upgrader (the seed's step 1)."""
        if SOURCE_ROOT.resolve() == self.new_dir.resolve():
            return
        new_bin = self.lay.bin(self.j.to_version)
        self.log(f"   handing over to the new release's upgrader ({new_bin})")
        sys.stdout.flush()
        sys.stderr.flush()
        env = {**os.environ, CONTINUE_ENV: self.j.id}
        os.execve(new_bin, [str(new_bin), "--data-dir", str(self.data_dir), "upgrade",
                            "--resume"], env)

    # -- forward steps ----------------------------------------------------------------
    async def fetch(self) -> None:
        opts_key = bytes.fromhex(self.j.data["public_key"])
        work = self._work()
        index, _digest = await fetch_index(self.j.data["source"], work, opts_key,
                                           self.data_dir / "provhost.sqlite",
                                           channel=self.j.data["channel"])
        entries = [e for e in index.entries("provhost") if e.version == self.j.to_version]
        if not entries:
            raise FetchError(f"release {self.j.to_version} left the index")
        zip_path = await fetch_release(self.j.data["source"], entries[0], work)
        await self.remove_release()  # a leftover of an earlier attempt
        partial = self.lay.releases / f".{self.j.to_version}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        self.lay.releases.mkdir(parents=True, exist_ok=True)
        try:
            got = await trio.to_thread.run_sync(unpack, zip_path, partial)
        except ArtifactError as e:
            shutil.rmtree(partial, ignore_errors=True)
            raise FetchError(str(e)) from None
        if got != self.j.to_version:
            raise FetchError(f"the zip holds version {got}, the index says "
                             f"{self.j.to_version}")
        old_tree = self.lay.release_dir(self.j.from_version)
        await trio.to_thread.run_sync(partial.rename, self.new_dir)
        deps = layout.running_deps_dirs()
        await trio.to_thread.run_sync(lambda: layout.make_venv(self.new_dir, deps,
                                                               old_tree=old_tree))
        zip_path.unlink(missing_ok=True)
        self.log(f"   release {self.j.to_version} unpacked into {self.new_dir}")

    async def confirm(self) -> None:
        self.log(f"   current version: {self.j.from_version}; new version: "
                 f"{self.j.to_version}")
        if self.j.data.get("yes"):
            return
        if not sys.stdin.isatty():
            raise RuntimeError("not confirmed (no terminal to ask; pass --yes)")
        answer = await trio.to_thread.run_sync(
            input, f"Upgrade provhost {self.j.from_version} -> {self.j.to_version}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise RuntimeError("not confirmed by the administrator")

    async def _scripts(self, kind: str, bin_version: str) -> None:
        found = scripts.collect([self.new_dir / kind, self.data_dir / kind])
        self.log(f"   {len(found)} script(s): {', '.join(p.name for p in found) or 'none'}")
        results = await scripts.run_all(found, self._env(bin_version), self._work(),
                                        timeout=float(self.j.data["script_timeout"]))
        for r in results:
            self.log(f"   -- {r.path}: exit {r.returncode} in {r.seconds:.1f} s\n"
                     + "".join(f"   | {ln}\n" for ln in r.output.splitlines()))
        if results and results[-1].returncode != 0:
            last = results[-1]
            raise RuntimeError(f"{last.name} exited {last.returncode}: "
                               f"{last.output.strip()[-500:]}")

    async def pre_scripts(self) -> None:
        await self._scripts("pre-upgrade.d", self.j.from_version)

    async def install(self) -> None:
        done = await trio.to_thread.run_sync(
            layout.finish_install, self.new_dir, self.lay.release_dir(self.j.from_version))
        self.log(f"   worker {done['worker']}, php.wasm {done['php.wasm']}")

    async def snapshot(self) -> None:
        db = self.data_dir / "provhost.sqlite"
        schema = await trio.to_thread.run_sync(snapshot.take, db, self.snapshot_path)
        self.j.data["schema_before"] = str(schema)
        self.log(f"   store snapshot (schema {schema}): {self.snapshot_path}")

    async def drain(self) -> None:
        if not self.j.data.get("was_running"):
            self.log("   the server was not running")
            return
        await trio.to_thread.run_sync(control.stop, self.data_dir)
        self.log("   old server drained and stopped")

    async def migrate(self) -> None:
        if running_version() != self.j.to_version:
            raise RuntimeError(f"the migration must run in the new release's upgrader; this "
                               f"is {running_version()}")
        from provhost.store.sqlite import SqliteStore

        def run() -> int:
            store = SqliteStore(self.data_dir / "provhost.sqlite")  # opening migrates
            try:
                store.put_repository_serial(serial_source(self.j.data["source"]),
                                            int(self.j.data["serial"]), self.j.data["digest"])
                return store.schema_version()
            finally:
                store.close()

        schema = await trio.to_thread.run_sync(run)
        self.log(f"   store schema {self.j.data.get('schema_before')} -> {schema}")

    async def switch(self) -> None:
        self.lay.switch(self.j.to_version)
        self.log(f"   current -> releases/{self.j.to_version}")

    async def post_scripts(self) -> None:
        await self._scripts("post-upgrade.d", self.j.to_version)

    async def restart(self) -> None:
        if not self.j.data.get("was_running"):
            self.log("   the server was not running before: not started")
            return
        hold = Paths(data_dir=self.data_dir).resync_hold  # resync only once healthy
        hold.write_text(f"{time.time() + float(self.j.data['health_timeout']) + 60:.0f}\n")
        pid = await trio.to_thread.run_sync(control.start, self.data_dir,
                                            self.lay.bin(self.j.to_version))
        self.log(f"   new server started (pid {pid})")

    async def health(self) -> None:
        if not self.j.data.get("was_running"):
            return
        problem = await health.wait_healthy(self._target(), self.j.to_version,
                                            float(self.j.data["health_timeout"]),
                                            alive=self._alive)
        if problem:
            raise RuntimeError(problem)
        Paths(data_dir=self.data_dir).resync_hold.unlink(missing_ok=True)
        self.log(f"   healthy: HTTP, TFTP and the API answer; version {self.j.to_version}; "
                 "resync released")

    # -- undo steps -------------------------------------------------------------------
    async def remove_release(self) -> None:
        if self.j.to_version in (self.lay.current_version(), self.j.from_version):
            return
        await trio.to_thread.run_sync(shutil.rmtree, self.new_dir, True)

    async def stop_new(self) -> None:
        await trio.to_thread.run_sync(control.stop, self.data_dir)
        Paths(data_dir=self.data_dir).resync_hold.unlink(missing_ok=True)

    async def switch_back(self) -> None:
        self.lay.switch(self.j.from_version)
        self.log(f"   current -> releases/{self.j.from_version}")

    async def restore_snapshot(self) -> None:
        await trio.to_thread.run_sync(control.stop, self.data_dir)  # never under a server
        schema = await trio.to_thread.run_sync(snapshot.restore, self.snapshot_path,
                                               self.data_dir / "provhost.sqlite")
        if str(schema) != self.j.data.get("schema_before", str(schema)):
            raise RuntimeError(f"restored store has schema {schema}, expected "
                               f"{self.j.data['schema_before']}")
        self.log(f"   store restored from the snapshot (schema {schema})")

    async def start_old(self) -> None:
        Paths(data_dir=self.data_dir).resync_hold.unlink(missing_ok=True)
        if not self.j.data.get("was_running"):
            return
        await trio.to_thread.run_sync(control.start, self.data_dir,
                                      self.lay.bin(self.j.from_version))
        problem = await health.wait_healthy(self._target(), self.j.from_version,
                                            float(self.j.data["health_timeout"]),
                                            alive=self._alive)
        if problem:
            raise RuntimeError(f"the old server: {problem}")
        self.log(f"   old server {self.j.from_version} serving and healthy")


def resume_journal(data_dir: Path) -> Journal | None:
    """The unfinished journal, made ready to continue: an upgrader handing over continues
    it as is; any other finding means the upgrader died, so machine.interrupted decides."""
    j = journal.load(data_dir)
    if j is None:
        return None
    if os.environ.get(CONTINUE_ENV) == j.id:
        return j
    return machine.interrupted(j)


def reexec_for_resume(data_dir: Path, j: Journal) -> None:
    """Resume with the upgrader of the new release when it is installed (it wrote the
    journal and knows its migrations); else continue here."""
    lay = layout.Layout(Path(j.data["prefix"]))
    new_bin = lay.bin(j.to_version)
    if (os.environ.get(CONTINUE_ENV) or not new_bin.is_file()
            or SOURCE_ROOT.resolve() == lay.release_dir(j.to_version).resolve()):
        return
    env = {**os.environ, CONTINUE_ENV: ""}
    os.execve(new_bin, [str(new_bin), "--data-dir", str(data_dir), "upgrade", "--resume"], env)


def history_rows(data_dir: Path) -> list[dict[str, object]]:
    rows = []
    for r in journal.history(data_dir):
        rows.append({"id": r.get("id"), "from": r.get("from_version"),
                     "to": r.get("to_version"), "outcome": r.get("outcome"),
                     "seconds": r.get("seconds"), "error": r.get("error", ""),
                     "log": r.get("log")})
    return rows


def options_replace(opts: Options, **kw: object) -> Options:
    return dataclasses.replace(opts, **kw)  # type: ignore[arg-type]
