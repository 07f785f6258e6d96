"""`provhost upgrade` end to end, with real releases, real processes and real clients.

Three releases are built in a temporary directory: A (today's tree, 0.1.0), B (the same
tree as 0.2.0 with a store migration, an extra post-upgrade script and an edited Polycom
template) and C (0.3.0, whose server cannot start).  A is installed into a temporary
prefix and started as a service on loopback; then, in order: refused indexes, a dry run,
a failing pre-upgrade script, a failing post-upgrade script, a failing health check, the
upgrader killed with SIGKILL after the migration, and finally a successful upgrade while
phones boot, with the changed phone resynced through SIPp.  Release virtualenvs are thin
(they reuse this checkout's dependencies) and the worker and php.wasm are reused by hash,
so a release installs in about a second.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from provhost.paths import SOURCE_ROOT
from provhost.release import artifact, control, snapshot
from provhost.release.index import publish
from provhost.signing import generate_key
from provhost.store.migrations import LATEST

OLD_SCHEMA, NEW_SCHEMA = LATEST, LATEST + 1  # release B adds one migration

pytestmark = pytest.mark.slow

CHECKOUT_CLI = SOURCE_ROOT / ".venv" / "bin" / "provhost"
NOTIFY_DIGEST = SOURCE_ROOT / "tests" / "sip" / "scenarios" / "notify_digest.xml"
POLYCOM_MAC, YEALINK_MAC = "0004f2a10001", "001565a10002"
YEALINK_UA = "Yealink SIP-T46G 28.83.0.50 00:15:65:a1:00:02"


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _copy_tree(dest: Path, version: str) -> Path:
    """This tree's release files, copied, with another version."""
    for rel in artifact.tree_files(SOURCE_ROOT):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SOURCE_ROOT / rel, target)
    py = dest / "pyproject.toml"
    text = py.read_text()
    assert 'version = "0.1.0"' in text
    py.write_text(text.replace('version = "0.1.0"', f'version = "{version}"', 1))
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path}: {old!r} not found"
    path.write_text(text.replace(old, new, 1))


@dataclass
class World:
    tmp: Path
    prefix: Path
    data: Path
    rel: Path  # A and B, signed index
    rel_broken: Path  # C alone
    key_pem: bytes
    public_b64: str
    ports: dict[str, int]
    old_index: Path  # a copy of the index at serial 1 (A only), for the replay test
    zips: dict[str, Path] = field(default_factory=dict)

    def cli(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """The installed `current` provhost, as an administrator runs it."""
        return subprocess.run([str(self.prefix / "current" / "venv" / "bin" / "provhost"),
                               "--data-dir", str(self.data), *args], capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def upgrade(self, *args: str, source: Path | None = None) -> subprocess.CompletedProcess[str]:
        return self.cli("upgrade", "--from", str(source or self.rel), "--prefix",
                        str(self.prefix), "--yes", "--health-timeout", "40", *args)

    def api_version(self) -> dict[str, object]:
        if not (self.data / "api-token").is_file():
            return {}  # the server has not started yet
        token = (self.data / "api-token").read_text().strip()
        out = subprocess.run(["curl", "-sf", "--max-time", "10", "-H",
                              f"Authorization: Bearer {token}",
                              f"http://127.0.0.1:{self.ports['api']}/api/v1/version"],
                             capture_output=True, text=True, check=False)
        return json.loads(out.stdout) if out.returncode == 0 else {}

    def boot(self, mac: str, ip: str) -> int:
        """One phone fetch with curl from `ip`: the HTTP status (0: no answer)."""
        if mac == POLYCOM_MAC:
            args = [f"http://127.0.0.1:{self.ports['http']}/polycom-spip550-{mac}.cfg"]
        else:
            args = ["-A", YEALINK_UA, f"http://127.0.0.1:{self.ports['http']}/{mac}.cfg"]
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                              "--max-time", "10", "--interface", ip, *args],
                             capture_output=True, text=True, check=False)
        return int(out.stdout or 0)

    def api(self, method: str, path: str, body: dict[str, str]) -> int:
        """One management API call with curl (faster than one CLI process per change)."""
        token = (self.data / "api-token").read_text().strip()
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                              "--max-time", "20", "-X", method, "-H",
                              f"Authorization: Bearer {token}", "-H",
                              "Content-Type: application/json", "--data", json.dumps(body),
                              f"http://127.0.0.1:{self.ports['api']}/api/v1{path}"],
                             capture_output=True, text=True, check=False)
        return int(out.stdout or 0)

    def http_status(self, path: str) -> int:
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                              "--max-time", "10", "--interface", "127.0.0.4",
                              f"http://127.0.0.1:{self.ports['http']}{path}"],
                             capture_output=True, text=True, check=False)
        return int(out.stdout or 0)

    def tftp_answers(self) -> bool:
        out = subprocess.run(["tftp", "-m", "octet", "127.0.0.1", str(self.ports["tftp"]),
                              "-c", "get", "nosuchfile.cfg", str(self.tmp / "tftp.out")],
                             capture_output=True, text=True, timeout=20, check=False)
        return "Error code" in out.stdout + out.stderr  # the server answered (not found)

    def store(self) -> str:
        return snapshot.dump(self.data / "provhost.sqlite")

    def current(self) -> str:
        return os.readlink(self.prefix / "current")

    def scripts_dir(self, kind: str) -> Path:
        d = self.data / kind
        d.mkdir(exist_ok=True)
        return d

    def admin_script(self, kind: str, name: str, body: str) -> Path:
        p = self.scripts_dir(kind) / name
        p.write_text("#!/bin/sh\n" + body)
        p.chmod(0o755)
        return p

    def wait_serving(self, version: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api_version().get("version") == version:
                return
            time.sleep(0.3)
        raise AssertionError(f"{version} not serving; log:\n"
                             f"{(self.data / 'service.log').read_text()[-3000:]}")

    def assert_unchanged(self, before: str) -> None:
        """Old release current, its server up on HTTP, TFTP and the API, store as before."""
        assert self.current() == "releases/0.1.0"
        assert self.api_version() == {"version": "0.1.0", "schema": OLD_SCHEMA}
        assert self.tftp_answers()
        assert self.http_status("/no-such-provisioning-file.bin") == 404  # HTTP answers
        assert self.store() == before
        assert not (self.prefix / "releases" / "0.2.0").exists()
        assert not (self.data / "upgrade" / "journal.json").exists()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("upgrade")
    tmp.chmod(0o755)
    key_pem, public = generate_key()
    rel, rel_broken = tmp / "releases-dir", tmp / "broken-dir"
    # A: this tree
    _, zip_a = artifact.build_zip(SOURCE_ROOT, rel)
    publish(rel, zip_a, "0.1.0", key_pem)
    old_index = tmp / "old-index"
    shutil.copytree(rel, old_index)
    # B: bumped, a migration, a post-upgrade script, a template phones will notice
    tree_b = _copy_tree(tmp / "tree-b", "0.2.0")
    _edit(tree_b / "host/provhost/store/migrations.py", "LATEST = MIGRATIONS[-1][0]",
          f'MIGRATIONS.append(({NEW_SCHEMA}, "CREATE TABLE upgrade_probe (note TEXT NOT NULL)"))'
          "\n\nLATEST = MIGRATIONS[-1][0]")
    probe = tree_b / "post-upgrade.d" / "70-probe"
    probe.write_text('#!/bin/sh\necho "70-probe $PROVHOST_OLD_VERSION $PROVHOST_NEW_VERSION '
                     '$(command -v provhost)" >> "$PROVHOST_DATA/order.txt"\n')
    probe.chmod(0o755)
    _edit(tree_b / "modules/polycom/templates/polycom_main.tpl", "</polycomConfig>",
          "<!-- provisioned by provhost 0.2.0 -->\n</polycomConfig>")
    _, zip_b = artifact.build_zip(tree_b, rel)
    publish(rel, zip_b, "0.2.0", key_pem)
    # C: a release whose server does not start
    tree_c = _copy_tree(tmp / "tree-c", "0.3.0")
    _edit(tree_c / "host/provhost/server/main.py", "    env = os.environ.get\n",
          '    raise SystemExit("this release is broken on purpose")\n    env = os.environ.get\n')
    _, zip_c = artifact.build_zip(tree_c, rel_broken)
    publish(rel_broken, zip_c, "0.3.0", key_pem)

    prefix, data = tmp / "prefix", tmp / "data"
    out = subprocess.run([str(CHECKOUT_CLI), "--data-dir", str(data), "release", "install",
                          str(zip_a), "--prefix", str(prefix)], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    ports = {"http": _free_port(socket.SOCK_STREAM), "tftp": _free_port(socket.SOCK_DGRAM),
             "api": _free_port(socket.SOCK_STREAM), "ftp": _free_port(socket.SOCK_STREAM)}
    w = World(tmp, prefix, data, rel, rel_broken, key_pem,
              base64.b64encode(public).decode(), ports, old_index,
              {"A": zip_a, "B": zip_b, "C": zip_c})
    assert w.cli("release", "trust", w.public_b64).returncode == 0
    started = w.cli("service", "start", "--prefix", str(prefix), "--listen", "127.0.0.1",
                    "--http-port", str(ports["http"]), "--tftp-port", str(ports["tftp"]),
                    "--api-port", str(ports["api"]), "--ftp-port", str(ports["ftp"]),
                    "--drain-timeout", "3")
    assert started.returncode == 0, started.stderr
    try:
        w.wait_serving("0.1.0")
        yield w
    finally:
        control.stop(data)


def test_tampered_expired_and_tampered_zip_are_refused(world: World) -> None:
    before = world.store()
    tampered = world.tmp / "tampered"
    shutil.copytree(world.rel, tampered)
    index = tampered / "index.json"
    index.write_bytes(index.read_bytes().replace(b'"channel":"stable"',
                                                 b'"channel":"stable" ', 1))
    out = world.upgrade(source=tampered)
    assert out.returncode == 1 and "signature does not verify" in out.stderr, out.stderr

    expired = world.tmp / "expired"
    expired.mkdir()
    shutil.copy(world.zips["B"], expired)
    publish(expired, expired / world.zips["B"].name, "0.2.0", world.key_pem,
            expires_days=-1)
    out = world.upgrade(source=expired)
    assert out.returncode == 1 and "expired" in out.stderr, out.stderr

    bad_zip = world.tmp / "bad-zip"
    shutil.copytree(world.rel, bad_zip)
    z = bad_zip / world.zips["B"].name
    data = bytearray(z.read_bytes())
    data[100] ^= 0xFF  # same size, other bytes
    z.write_bytes(bytes(data))
    out = world.upgrade(source=bad_zip)
    assert out.returncode == 1 and "does not match the signed index" in out.stdout, out.stdout
    world.assert_unchanged(before)


def test_dry_run_changes_nothing(world: World) -> None:
    before = world.store()
    history = (world.data / "upgrade" / "history.jsonl").read_text()
    out = world.upgrade("--dry-run")
    assert out.returncode == 0, out.stderr
    assert "0.1.0 -> 0.2.0" in out.stdout and "dry run: nothing changed" in out.stdout
    world.assert_unchanged(before)
    assert (world.data / "upgrade" / "history.jsonl").read_text() == history
    assert [json.loads(r)["outcome"] for r in history.splitlines()] == ["aborted"]  # bad zip


def test_failing_pre_upgrade_script_changes_nothing(world: World) -> None:
    before = world.store()
    pid = json.loads((world.data / "service.json").read_text())["pid"]
    script = world.admin_script("pre-upgrade.d", "10-check-disk",
                                'echo "only 3 MB free on /var"; exit 3\n')
    try:
        out = world.upgrade()
    finally:
        script.unlink()
    assert out.returncode == 1
    assert "10-check-disk exited 3: only 3 MB free on /var" in out.stdout
    assert "stopped before anything changed" in out.stdout
    world.assert_unchanged(before)
    assert json.loads((world.data / "service.json").read_text())["pid"] == pid  # not restarted


def test_failing_post_upgrade_script_rolls_back(world: World) -> None:
    before = world.store()
    script = world.admin_script("post-upgrade.d", "10-broken",
                                'echo "cannot reach the PBX"; exit 1\n')
    try:
        out = world.upgrade()
    finally:
        script.unlink()
    assert out.returncode == 1, out.stdout
    assert f"store schema {OLD_SCHEMA} -> {NEW_SCHEMA}" in out.stdout  # it did migrate, and then...
    assert "FAILED and was rolled back" in out.stdout
    assert "10-broken exited 1: cannot reach the PBX" in out.stdout
    world.assert_unchanged(before)


def test_failing_health_check_rolls_back(world: World) -> None:
    before = world.store()
    out = world.upgrade(source=world.rel_broken)
    assert out.returncode == 1, out.stdout
    assert "0.1.0 -> 0.3.0" in out.stdout
    assert "healthy failed: the server process exited" in out.stdout
    assert "FAILED and was rolled back; 0.1.0 is serving" in out.stdout
    world.assert_unchanged(before)


def test_sigkill_after_the_migration_is_rolled_back_by_the_next_run(world: World) -> None:
    before = world.store()
    script = world.admin_script("post-upgrade.d", "10-power-cut",
                                'kill -9 "$PROVHOST_UPGRADER_PID"; sleep 5\n')
    try:
        out = world.upgrade()
    finally:
        script.unlink()
    assert out.returncode == -9, out.stdout
    # killed half-way: migrated, switched, server stopped, journal left behind
    assert snapshot.schema_version(world.data / "provhost.sqlite") == NEW_SCHEMA
    assert world.current() == "releases/0.2.0"
    journal = json.loads((world.data / "upgrade" / "journal.json").read_text())
    assert journal["attempting"] == "post-scripts" and "migrated" in journal["done"]
    assert world.api_version() == {}
    resumed = world.cli("upgrade", "--resume")
    assert resumed.returncode == 1, resumed.stdout
    assert "interrupted (killed?) during this step" in resumed.stdout
    assert "rolled back" in resumed.stdout
    world.assert_unchanged(before)


def _sipp(port: int, workdir: Path, user: str, password: str) -> subprocess.Popen[bytes]:
    workdir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        ["sipp", "-sf", str(NOTIFY_DIGEST), "-i", "127.0.0.1", "-p", str(port), "-m", "1",
         "-nostdin", "-timeout", "150s", "-timeout_error", "-trace_err", "-trace_msg",
         "-key", "user", user, "-key", "password", password, "-key", "qop_param", ""],
        cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)


def test_successful_upgrade_while_phones_boot(world: World) -> None:
    sip_port = _free_port(socket.SOCK_DGRAM)
    for method, path, body in (
            ("POST", "/users", {"username": "alice", "fullname": "Alice Example"}),
            ("POST", "/users", {"username": "bob", "fullname": "Bob Example"}),
            ("POST", "/phones", {"mac": POLYCOM_MAC, "phone_type": "spip550"}),
            ("POST", "/lines", {"telnum": "21", "user": "alice", "phone": POLYCOM_MAC}),
            ("POST", "/phones", {"mac": YEALINK_MAC, "phone_type": "yealink_t46"}),
            ("POST", "/lines", {"telnum": "22", "user": "bob", "phone": YEALINK_MAC}),
            ("PUT", "/settings/SIP_PORT", {"value": str(sip_port)})):
        assert world.api(method, path, body) in (200, 201), (method, path)
    assert world.boot(POLYCOM_MAC, "127.0.0.1") == 200  # where SIPp answers for it
    assert world.boot(YEALINK_MAC, "127.0.0.3") == 200
    con = sqlite3.connect(world.data / "provhost.sqlite")
    last = json.loads(con.execute("SELECT last_config FROM phones WHERE mac=?",
                                  (POLYCOM_MAC,)).fetchone()[0])["LINES"][0]
    con.close()
    sipp = _sipp(sip_port, world.tmp / "sipp", last["SIP_USERNAME"], last["SIP_PASSWORD"])

    results: list[tuple[float, int]] = []  # (when, status) of phones booting meanwhile
    stop = threading.Event()

    def phones() -> None:
        while not stop.is_set():
            results.append((time.monotonic(), world.boot(YEALINK_MAC, "127.0.0.5")))
            time.sleep(0.1)

    booting = threading.Thread(target=phones)
    booting.start()
    try:
        out = world.upgrade()
    finally:
        stop.set()
        booting.join()
    try:
        assert out.returncode == 0, out.stdout + out.stderr
        assert "provhost upgraded 0.1.0 -> 0.2.0" in out.stdout
        rc = sipp.wait(timeout=60)  # the stale phone was told to resync, with digest auth
    finally:
        if sipp.poll() is None:
            sipp.kill()
            sipp.wait()
    assert rc == 0, (world.tmp / "sipp").iterdir()
    # restart order: the new server, then (once healthy) resync
    log_lines = (world.data / "service.log").read_text().splitlines()
    held = max(i for i, ln in enumerate(log_lines) if "resync held until" in ln)
    released = next(i for i, ln in enumerate(log_lines) if i > held and "resync released" in ln)
    resyncing = next(i for i, ln in enumerate(log_lines)
                     if i > held and "changed configuration: resyncing" in ln)
    assert held < released < resyncing
    assert not (world.data / "upgrade" / "hold-resync").exists()
    assert world.api_version() == {"version": "0.2.0", "schema": NEW_SCHEMA}
    assert world.current() == "releases/0.2.0"
    assert snapshot.schema_version(world.data / "provhost.sqlite") == NEW_SCHEMA
    # the scripts ran in name order, the release's with the new CLI on PATH
    log = out.stdout
    order = [log.index(f"post-upgrade.d/{n}:") for n in
             ("50-resync-changed-phones", "60-default-settings", "70-probe")]
    assert order == sorted(order)
    assert log.index("pre-upgrade.d/50-record-phone-configs:") < log.index("store schema")
    probe = (world.data / "order.txt").read_text()
    assert probe.startswith("70-probe 0.1.0 0.2.0 ")
    assert probe.strip().endswith("releases/0.2.0/venv/bin/provhost")
    # only the phone whose configuration the new modules change was marked stale
    assert f"1 of 2 phone(s) get a different configuration from 0.2.0; marked stale " \
           f"(resynced once the server is up): {POLYCOM_MAC}" in log
    assert "MODULE_CHANNEL: not set by the administrator; set to 'stable'" in log
    # phones were served before, during and after; the outage was bounded
    assert results and results[0][1] == 200 and results[-1][1] == 200
    failing = [t for t, s in results if s != 200]
    outage = (max(failing) - min(failing)) if failing else 0.0
    print(f"phones: {len(results)} fetches during the upgrade, outage {outage:.1f} s")
    assert outage < 60
    assert world.boot(POLYCOM_MAC, "127.0.0.1") == 200
    assert world.tftp_answers()


def test_older_index_is_refused_and_history_tells_everything(world: World) -> None:
    assert world.current() == "releases/0.2.0", "runs after the successful upgrade"
    # an attacker (or a stale mirror) replays the serial 1 index at the same location
    for name in ("index.json", "index.json.sig"):
        shutil.copy(world.old_index / name, world.rel / name)
    out = world.upgrade()
    assert out.returncode == 1
    assert "older than serial" in out.stderr, out.stderr
    rows = json.loads(world.cli("--json", "upgrade", "--history").stdout)
    outcomes = [(r["to"], r["outcome"]) for r in rows]
    assert outcomes == [("0.2.0", "aborted"), ("0.2.0", "aborted"), ("0.2.0", "rolled-back"),
                        ("0.3.0", "rolled-back"), ("0.2.0", "rolled-back"),
                        ("0.2.0", "done")]
    for r in rows:
        print(r["to"], r["outcome"], r["seconds"])
    steps = json.loads((world.data / "upgrade" / "history.jsonl").read_text().splitlines()[-1])
    print("successful upgrade, seconds per step:",
          {k[2:]: v for k, v in steps["data"].items() if k.startswith("t_")})
    service_log = (world.data / "service.log").read_text().splitlines()
    # every stop of a serving server was a drain (SIGTERM), never a kill: the old server
    # was drained by the post-script, health, SIGKILL and successful upgrades (the broken
    # 0.3.0 server never started; the killed upgrade's rollback found nothing running)
    # (each server process of the set drains: `provhost serve` runs one per core)
    processes = os.cpu_count() or 1 if os.environ.get("PROVHOST_PROCESSES") is None \
        else int(os.environ["PROVHOST_PROCESSES"])
    assert sum("provhost stopped (drained)" in ln for ln in service_log) == 4 * processes
    assert not any("did not stop" in ln for ln in service_log)

    print("\n".join(ln[:120] for ln in service_log if "serving on" in ln or "drain" in ln
                    or "stopped" in ln))
    text = world.cli("upgrade", "--history").stdout
    assert "0.1.0 -> 0.2.0  done" in text
    assert Path(rows[-1]["log"]).read_text().count("== ") == 11
