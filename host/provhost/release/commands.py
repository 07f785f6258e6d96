"""The command line of releases: `provhost release`, `provhost upgrade`, `provhost service`.

These run without opening the store through the usual Service (opening it migrates it, and
an upgrade must snapshot before it migrates); `cli.py` hands them the parsed arguments.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from pathlib import Path
from typing import Any

import trio

from provhost.paths import SOURCE_ROOT, Paths
from provhost.release import control, layout, upgrade
from provhost.release.artifact import ArtifactError, build_zip, unpack
from provhost.release.index import publish
from provhost.signing import SignatureError, parse_public_key

GROUPS = ("release", "upgrade", "service")
KEY_FILE = "release-key.pub"


class CommandError(Exception):
    pass


def register(groups: argparse._SubParsersAction) -> None:
    """Add the three groups to the main parser."""
    rg = groups.add_parser("release", help="build, install and list provhost releases"
                           ).add_subparsers(dest="cmd", required=True)
    p = rg.add_parser("build", help="zip a provhost tree and add it to a signed release index")
    p.add_argument("-o", "--output", required=True, help="release directory (index + zips)")
    p.add_argument("--source", default=str(SOURCE_ROOT), help="the tree (default: this one)")
    p.add_argument("--key", required=True, help="Ed25519 private key PEM that signs the index")
    p.add_argument("--channel", default="stable")
    p.add_argument("--expires-days", type=float, default=30.0)
    p.add_argument("--serial", type=int, default=None, help="default: previous + 1")
    p.add_argument("--min-version", default="0",
                   help="oldest version that may upgrade to this one directly")
    p = rg.add_parser("install", help="install a release zip (or this tree) into a prefix; "
                      "the first one becomes current")
    p.add_argument("source", nargs="?", help="release zip (default: this tree, as a release)")
    p.add_argument("--prefix", help="install prefix (default $PROVHOST_PREFIX)")
    p = rg.add_parser("list", help="releases installed in the prefix")
    p.add_argument("--prefix")
    p = rg.add_parser("trust", help="trust this public key (base64) for release indexes")
    p.add_argument("public_key")

    up = groups.add_parser("upgrade", help="upgrade provhost to a new release, safely "
                           "(docs/upgrade.md)")
    up.add_argument("--from", dest="source", help="release directory or http(s) URL "
                    "(default $PROVHOST_RELEASES)")
    up.add_argument("--key", help="trusted public key (base64; default DATA/release-key.pub)")
    up.add_argument("--channel", default="stable")
    up.add_argument("--version", dest="target", help="this version, not the newest")
    up.add_argument("--prefix")
    up.add_argument("--yes", action="store_true", help="do not ask")
    up.add_argument("--dry-run", action="store_true", help="show what would happen, change "
                    "nothing")
    up.add_argument("--resume", action="store_true", help="complete or roll back an "
                    "interrupted upgrade")
    up.add_argument("--history", action="store_true", help="every upgrade and its outcome")
    up.add_argument("--health-timeout", type=float, default=30.0)
    up.add_argument("--script-timeout", type=float, default=300.0)

    sg = groups.add_parser("service", help="run provhost serve as a service"
                           ).add_subparsers(dest="cmd", required=True)
    p = sg.add_parser("unit", help="print (or --write) a systemd unit for the installed "
                      "layout; upgrades then use systemctl")
    p.add_argument("--prefix")
    p.add_argument("--user", default="provhost")
    p.add_argument("--write", help="write the unit to this file and record systemd mode")
    _serve_args(p)
    p = sg.add_parser("start", help="start the server of PREFIX/current, detached, and "
                      "record how (upgrades restart it the same way)")
    p.add_argument("--prefix")
    _serve_args(p)
    sg.add_parser("stop", help="drain and stop the server started by `service start`")
    sg.add_parser("status", help="is it running, and how")


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--listen", default="0.0.0.0")
    p.add_argument("--http-port", type=int, default=8080)
    p.add_argument("--tftp-port", type=int, default=6969)
    p.add_argument("--api-port", type=int, default=8081)
    p.add_argument("--ftp-port", type=int, default=2121)
    p.add_argument("--drain-timeout", type=float, default=10.0)


def _prefix(a: argparse.Namespace) -> Path:
    text = getattr(a, "prefix", None) or os.environ.get("PROVHOST_PREFIX")
    found = Path(text) if text else layout.detect_prefix()
    if found is None:
        raise CommandError("no install prefix: pass --prefix (or set PROVHOST_PREFIX); "
                           "this provhost runs from a checkout, not an installed release")
    return found.resolve()


def run(a: argparse.Namespace) -> int:
    """Run one command of GROUPS; print its result; the exit code."""
    paths = Paths.from_env(a.data_dir)
    try:
        out = _dispatch(a, paths)
    except (CommandError, upgrade.UpgradeError, ArtifactError, layout.LayoutError,
            control.ControlError, SignatureError, OSError) as e:
        print(f"provhost: error: {e}", file=sys.stderr)
        return 1
    if isinstance(out, int):
        return out
    if out is not None:
        print(json.dumps(out, indent=2, default=str) if a.json or not isinstance(out, str)
              else out)
    return 0


def _dispatch(a: argparse.Namespace, paths: Paths) -> Any:
    if a.group == "release":
        return _release(a, paths)
    if a.group == "service":
        return _service(a, paths)
    return _upgrade(a, paths)


def _release(a: argparse.Namespace, paths: Paths) -> Any:
    if a.cmd == "build":
        out = Path(a.output)
        ver, zip_path = build_zip(Path(a.source).resolve(), out)
        index = publish(out, zip_path, ver, Path(a.key).read_bytes(), channel=a.channel,
                        expires_days=a.expires_days, serial=a.serial,
                        min_version=a.min_version)
        return {"version": ver, "file": str(zip_path), "serial": index.serial,
                "releases": [e.version for e in index.modules]}
    if a.cmd == "install":
        return _install(_prefix(a), Path(a.source) if a.source else None)
    if a.cmd == "list":
        lay = layout.Layout(_prefix(a))
        cur = lay.current_version()
        return [{"version": v, "current": v == cur} for v in lay.installed()]
    # trust
    raw = parse_public_key(a.public_key)
    paths.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (paths.data_dir / KEY_FILE).write_text(base64.b64encode(raw).decode() + "\n")
    return {"trusted": str(paths.data_dir / KEY_FILE)}


def _install(prefix: Path, source: Path | None) -> dict[str, Any]:
    """The first install of a prefix (later ones are `provhost upgrade`)."""
    lay = layout.Layout(prefix)
    lay.releases.mkdir(parents=True, exist_ok=True)
    tmp = lay.releases / f".install-{os.getpid()}"
    if source is None:
        _, source = build_zip(SOURCE_ROOT, tmp / "zip")
    ver = unpack(source, tmp / "tree")
    if lay.release_dir(ver).exists():
        raise CommandError(f"release {ver} is already installed in {prefix}")
    (tmp / "tree").rename(lay.release_dir(ver))
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    layout.make_venv(lay.release_dir(ver), layout.running_deps_dirs(), old_tree=SOURCE_ROOT)
    done = layout.finish_install(lay.release_dir(ver), SOURCE_ROOT)
    if lay.current_version() is None:
        lay.switch(ver)
    return {"installed": ver, "prefix": str(prefix), "current": lay.current_version(), **done}


def _service(a: argparse.Namespace, paths: Paths) -> Any:
    data = paths.data_dir
    if a.cmd in ("unit", "start"):
        prefix = _prefix(a)
        args = ["--listen", a.listen, "--http-port", str(a.http_port), "--tftp-port",
                str(a.tftp_port), "--api-port", str(a.api_port), "--ftp-port", str(a.ftp_port)]
        cfg = control.ServiceConfig(
            mode="systemd" if a.cmd == "unit" else "process", args=args,
            host="127.0.0.1" if a.listen in ("0.0.0.0", "::") else a.listen,
            http_port=a.http_port, tftp_port=a.tftp_port, api_port=a.api_port,
            drain_timeout=a.drain_timeout)
        if a.cmd == "unit":
            text = control.unit_text(prefix, data, user=a.user, serve_args=args,
                                     drain_timeout=a.drain_timeout)
            if not a.write:
                return text
            Path(a.write).write_text(text)
            cfg.unit = Path(a.write).name
            data.mkdir(mode=0o700, parents=True, exist_ok=True)
            cfg.save(data)
            return {"unit": a.write, "mode": "systemd"}
        if control.is_running(data):
            raise CommandError("the server is already running (provhost service stop)")
        data.mkdir(mode=0o700, parents=True, exist_ok=True)
        cfg.save(data)
        pid = control.start(data, layout.Layout(prefix).current / "venv" / "bin" / "provhost")
        return {"pid": pid}
    if a.cmd == "stop":
        return {"stopped": control.stop(data)}
    cfg = control.ServiceConfig.load(data)
    return {"running": control.is_running(data), **cfg.__dict__}


def _upgrade(a: argparse.Namespace, paths: Paths) -> Any:
    data = paths.data_dir
    if a.history:
        rows = upgrade.history_rows(data)
        if a.json:
            return rows
        return "\n".join(f"{r['id']}  {r['from']} -> {r['to']}  {r['outcome']}  "
                         f"{r['seconds']} s  {r['error']}" for r in rows) or "(no upgrades)"
    pending = upgrade.resume_journal(data)
    if pending is not None:
        upgrade.reexec_for_resume(data, pending)
        print(f"resuming upgrade {pending.id} ({pending.from_version} -> "
              f"{pending.to_version}): {pending.phase}", flush=True)
        return _drive(data, pending)
    if a.resume:
        return "no interrupted upgrade"
    source = a.source or os.environ.get("PROVHOST_RELEASES")
    if not source:
        raise CommandError("where from? pass --from DIR|URL (or set PROVHOST_RELEASES)")
    key_text = a.key or ((data / KEY_FILE).read_text() if (data / KEY_FILE).is_file() else "")
    if not key_text:
        raise CommandError(f"no trusted release key: pass --key or run provhost release "
                           f"trust KEY (it is kept in {data / KEY_FILE})")
    opts = upgrade.Options(data_dir=data, prefix=_prefix(a), source=source,
                           public_key=parse_public_key(key_text), channel=a.channel,
                           target_version=a.target, yes=a.yes,
                           health_timeout=a.health_timeout, script_timeout=a.script_timeout)
    p = trio.run(upgrade.plan, opts)
    print(upgrade.describe_plan(p, opts), flush=True)
    if a.dry_run:
        print("dry run: nothing changed")
        return None
    return _drive(data, upgrade.new_journal(p, opts))


def _drive(data: Path, j: upgrade.machine.Journal) -> int:
    driver = upgrade.Driver(data, j, lambda s: print(s, flush=True))
    end = trio.run(driver.run)
    return 0 if end.phase == "done" else 1
