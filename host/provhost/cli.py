"""`provhost`: the command line.  A thin shell over the service layer.

Output is for people by default and JSON with --json.  A refused operation prints one line
`provhost: error: ...` on stderr and exits 1; a usage mistake exits 2 (argparse).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from provhost import firmware
from provhost.paths import Paths
from provhost.release import commands as release_commands
from provhost.service import Service, ServiceError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _kv(d: dict[str, Any]) -> str:
    width = max((len(k) for k in d), default=0)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in d.items())


Handler = Callable[[Service, argparse.Namespace], Any]


def _module_rows(svc: Service, a: argparse.Namespace) -> Any:
    rows = svc.module_list()
    if a.json:
        return rows
    for r in rows:
        r["state"] = ("QUARANTINED: " + r["quarantined"] if r["quarantined"]
                      else "enabled" if r["enabled"] else "disabled")
        r["signature"] = "DEV" if r.get("dev") else r["signed_by"] or "UNSIGNED"
    return _table(rows, ["sequence", "id", "version", "kind", "state", "signature", "runs_on",
                         "name"])


def _module_check(svc: Service, a: argparse.Namespace) -> Any:
    problems = svc.module_check(Path(a.source))
    if a.json:
        out: Any = problems
    else:
        out = "\n".join(p["text"] for p in problems) or f"{a.source}: no problems found"
        out += _sequences_note(Path(a.source))
    if any(p["severity"] == "error" for p in problems):
        raise _Failed(out)
    return out


def _module_compat(svc: Service, a: argparse.Namespace) -> Any:
    import trio

    from provhost.compat import compat_check
    from provhost.review import ReviewError

    runtimes = ["native", "wasm"] if a.runtime == "both" else [a.runtime]
    out = Path(a.output) if a.output else None
    try:
        report = trio.run(compat_check, Path(a.source), runtimes, out, a.request)
    except ReviewError as e:
        raise ServiceError(str(e)) from None
    rows = report.rows()
    text: Any = rows if a.json else (
        f"module {report.module_id} {report.version}, runtimes: {', '.join(runtimes)}\n"
        + _table(rows, ["type", "entry", *runtimes, "identical"]))
    if not report.ok:
        raise _Failed(text)
    return text


def _sequences_note(source: Path) -> str:
    from provhost.moduletest.discover import count_sequences

    n = count_sequences(source)
    return (f"\n{n} boot sequence{'s' if n != 1 else ''} in tests/ not run by this check: "
            f"run `provhost module test {source}`") if n else ""


def _moduletest_arguments(p: argparse.ArgumentParser, record: bool = False) -> None:
    from provhost.moduletest import arguments

    (arguments.add_record_arguments if record else arguments.add_test_arguments)(p)


def _module_record(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.moduletest.record_cli import run

    return run(svc, a)


def _module_test(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.moduletest.runner import run_cli

    report = run_cli(a)
    out: Any = report.as_dict() if a.json else report.render()
    if not report.ok:
        raise _Failed(out)
    return out


class _Failed(Exception):
    """Print the payload, then exit 1 (e.g. `module check` found errors)."""


def _phone_list(svc: Service, a: argparse.Namespace) -> Any:
    rows = svc.phone_list()
    if a.json:
        return rows
    for r in rows:
        r["lines"] = ",".join(x["telnum"] for x in r["lines"])
    return _table(rows, ["mac_pretty", "phone_type", "module", "last_ip", "lines"])


def _phone_show(svc: Service, a: argparse.Namespace) -> Any:
    p = svc.phone_show(a.mac)
    if a.json:
        return p
    lines = p.pop("lines")
    return _kv(p) + "\n\n" + _table(lines, ["position", "telnum", "sip_username", "label"])


def _phone_auth(svc: Service, a: argparse.Namespace) -> Any:
    if a.action == "on":
        svc.phone_auth_on(a.mac)
    elif a.action == "off":
        svc.phone_auth_off(a.mac)
    return svc.phone_auth_show(a.mac, reveal=a.password)


def _build_parser() -> tuple[argparse.ArgumentParser, dict[tuple[str, ...], Handler]]:
    parser = argparse.ArgumentParser(prog="provhost", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="state directory (default: $PROVHOST_DATA or ./data)")
    parser.add_argument("--database", default=None,
                        help="the store: postgresql://USER@HOST/DB for a shared PostgreSQL "
                             "(default: $PROVHOST_DATABASE, else the data directory's SQLite)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("-v", "--verbose", action="store_true")
    groups = parser.add_subparsers(dest="group", required=True)
    handlers: dict[tuple[str, ...], Handler] = {}

    def command(group: argparse._SubParsersAction, path: tuple[str, ...], help: str,
                handler: Handler) -> argparse.ArgumentParser:
        p = group.add_parser(path[-1], help=help)
        handlers[path] = handler
        return p

    # serve ---------------------------------------------------------------------------
    serve = groups.add_parser("serve", help="run the provisioning servers")
    serve.add_argument("--listen", default=None, help="address phones reach (default 0.0.0.0)")
    serve.add_argument("--http-port", type=int, default=None)
    serve.add_argument("--tftp-port", type=int, default=None)
    serve.add_argument("--api-port", type=int, default=None)
    serve.add_argument("--ftp-port", type=int, default=None)
    serve.add_argument("--https-port", type=int, default=None, help="also serve HTTPS here")
    serve.add_argument("--cert", help="PEM certificate (chain) for HTTPS")
    serve.add_argument("--key", help="PEM private key for HTTPS")
    serve.add_argument("--processes", type=int, default=None,
                       help="server processes sharing the phone ports (default: "
                            "$PROVHOST_PROCESSES, else one per core)")
    serve.add_argument("--api-https", action="store_true",
                       help="serve the management listener (REST API, web administration) "
                            "over HTTPS with --cert and --key")
    handlers[("serve",)] = _serve

    # db ------------------------------------------------------------------------------
    dg = groups.add_parser("db", help="the database").add_subparsers(dest="cmd", required=True)
    p = command(dg, ("db", "migrate-to"), "copy this data directory's SQLite database into "
                "an empty PostgreSQL database and verify the copy", _db_migrate_to)
    p.add_argument("url", help="postgresql://USER@HOST/DB (must be empty)")

    # request ---------------------------------------------------------------------------
    req = groups.add_parser("request", help="run the chain for one request, print its trace")
    req.add_argument("path")
    req.add_argument("--proto", default="tftp", choices=["tftp", "http", "https", "ftp"])
    req.add_argument("--ip", default="192.0.2.1", help="client address the request comes from")
    req.add_argument("--user-agent", default="")
    req.add_argument("--body", action="store_true", help="also print what would be sent")
    handlers[("request",)] = _request

    # module ----------------------------------------------------------------------------
    mg = groups.add_parser("module", help="provisioning modules").add_subparsers(
        dest="cmd", required=True)
    command(mg, ("module", "list"), "list modules in chain order", _module_rows)
    p = command(mg, ("module", "install"), "install or upgrade an add-on module (a zip, a "
                "directory, or ID[==VERSION] from the repository)", _module_install)
    p.add_argument("source", help="module zip or directory, or ID[==VERSION] from the "
                                  "repository")
    p.add_argument("--allow-unsigned", action="store_true",
                   help="accept a module without a trusted signature (testing your own module)")
    p.add_argument("--force", action="store_true", help="install an older or equal version")
    for name, fn, desc in (("remove", "module_remove", "remove an add-on module"),
                           ("enable", "module_enable", "enable (and lift a quarantine)"),
                           ("disable", "module_disable", "disable a module")):
        p = command(mg, ("module", name), desc,
                    lambda s, a, fn=fn: getattr(s, fn)(a.module_id))
        p.add_argument("module_id")
    p = command(mg, ("module", "sequence"), "set (or --reset) a module's sequence",
                lambda s, a: s.module_sequence(a.module_id, None if a.reset else a.sequence))
    p.add_argument("module_id")
    p.add_argument("sequence", nargs="?")
    p.add_argument("--reset", action="store_true", help="back to the module's own sequence")
    p = command(mg, ("module", "runtime"), "pin a module to a runtime (native or wasm); "
                "--reset: the default for its kind", lambda s, a: s.module_runtime(
                    a.module_id, None if a.reset else a.runtime))
    p.add_argument("module_id")
    p.add_argument("runtime", nargs="?", choices=["native", "wasm"])
    p.add_argument("--reset", action="store_true")
    p = command(mg, ("module", "check"), "lint a module directory or zip", _module_check)
    p.add_argument("source")
    p = command(mg, ("module", "compat"), "replay every phone type's REVIEW files of a module "
                "(directory or zip) in a scratch setup, per runtime, and compare", _module_compat)
    p.add_argument("source")
    p.add_argument("--runtime", choices=["native", "wasm", "both"], default="both")
    p.add_argument("-o", "--output", help="write every generated file under this directory")
    p.add_argument("--request", action="append", default=[], metavar="PROTO:/PATH",
                   help="also replay this request (repeatable), e.g. tftp:/spa504G.cfg")
    p = command(mg, ("module", "test"), "replay the module's boot sequences (tests/*.json) "
                "against a scratch server, per runtime; exit 1 on any difference", _module_test)
    _moduletest_arguments(p)
    p = command(mg, ("module", "record"), "write a boot sequence (tests/NAME.json) from a "
                "phone's real traffic: request traces or a tshark capture", _module_record)
    _moduletest_arguments(p, record=True)
    p = command(mg, ("module", "verify"), "check a module's signature against trusted keys",
                lambda s, a: s.module_verify(Path(a.source)))
    p.add_argument("source")
    p = command(mg, ("module", "sign"), "sign a module directory or zip into a signed zip",
                lambda s, a: s.module_sign(Path(a.source), Path(a.key), Path(a.output), a.signer))
    p.add_argument("source")
    p.add_argument("--key", required=True, help="Ed25519 private key (PEM) from `module keygen`")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--signer", default="module author", help="name recorded in the signature")
    p = command(mg, ("module", "keygen"), "generate a signing key pair",
                lambda s, a: s.key_generate(Path(a.output)))
    p.add_argument("-o", "--output", required=True, help="where to write the private key")
    p = command(mg, ("module", "trust"), "trust a public signing key",
                lambda s, a: s.key_trust(a.name, a.public_key))
    p.add_argument("name")
    p.add_argument("public_key", help="base64 public key as printed by `module keygen`")
    command(mg, ("module", "keys"), "list trusted keys",
            lambda s, a: s.key_list() if a.json else _table(s.key_list(), ["name", "key_id"]))
    p = command(mg, ("module", "untrust"), "stop trusting a key",
                lambda s, a: s.key_remove(a.name))
    p.add_argument("name")

    # phone -----------------------------------------------------------------------------
    pg = groups.add_parser("phone", help="provisioned phones").add_subparsers(
        dest="cmd", required=True)
    command(pg, ("phone", "list"), "list phones", _phone_list)
    p = command(pg, ("phone", "show"), "show one phone", _phone_show)
    p.add_argument("mac")
    p = command(pg, ("phone", "add"), "add a phone before it boots",
                lambda s, a: s.phone_add(a.mac, a.phone_type, a.module))
    p.add_argument("mac")
    p.add_argument("phone_type")
    p.add_argument("--module", help="module id (default: the first enabled module with the type)")
    p = command(pg, ("phone", "auth"), "per-phone HTTP(S) provisioning credentials: on = new "
                "ones, delivered in the next configuration and required afterwards; off; show",
                _phone_auth)
    p.add_argument("mac")
    p.add_argument("action", choices=["on", "off", "show"])
    p.add_argument("--password", action="store_true",
                   help="also print the password (on, show)")
    p = command(pg, ("phone", "password"), "set (or generate) the phone's admin password",
                lambda s, a: s.phone_set_password(a.mac, a.password))
    p.add_argument("mac")
    p.add_argument("password", nargs="?")
    for name in ("reload", "resync"):
        p = command(pg, ("phone", name), "tell the phone to reload its configuration now",
                    _phone_resync)
        p.add_argument("mac")
    command(pg, ("phone", "stale"), "phones without an up-to-date configuration",
            _phone_stale)
    p = command(pg, ("phone", "config"), "download every file the phone would fetch "
                "(its type's REVIEW list, replayed through the chain) as a zip", _phone_config)
    p.add_argument("mac")
    p.add_argument("-o", "--output", required=True, help="the zip file to write")
    p = command(pg, ("phone", "remove"), "forget a phone", lambda s, a: s.phone_remove(a.mac))
    p.add_argument("mac")
    p = command(pg, ("phone", "uploads"), "files the phone uploaded (logs, overrides)",
                lambda s, a: s.phone_uploads(a.mac) if a.json else _table(
                    s.phone_uploads(a.mac), ["name", "size", "modified"]))
    p.add_argument("mac")
    p = command(pg, ("phone", "upload"), "print (or save with -o) one uploaded file",
                _phone_upload)
    p.add_argument("mac")
    p.add_argument("name")
    p.add_argument("-o", "--output", help="write the file here instead of stdout")

    # firmware --------------------------------------------------------------------------
    fg = groups.add_parser("firmware", help="firmware and logo slots").add_subparsers(
        dest="cmd", required=True)
    command(fg, ("firmware", "list"), "slots of every module and what they hold",
            _firmware_list)
    p = command(fg, ("firmware", "upload"), "upload a file to a slot (runs the module's "
                "preprocessing script in its sandbox)", _firmware_upload)
    p.add_argument("module")
    p.add_argument("slot")
    p.add_argument("file")
    p.add_argument("--no-verify", action="store_true",
                   help="override the module's check (the script sees FW_VERIFY=0)")
    p = command(fg, ("firmware", "clear"), "empty a slot",
                lambda s, a: firmware.clear(s.state, a.module, a.slot))
    p.add_argument("module")
    p.add_argument("slot")
    p = command(fg, ("firmware", "preview"), "save a slot's preview image (PNG)",
                _firmware_preview)
    p.add_argument("module")
    p.add_argument("slot")
    p.add_argument("-o", "--output", required=True, help="where to write the PNG")
    p = command(mg, ("module", "vars"), "a module's persistent globals (setModuleVar)",
                lambda s, a: s.module_vars(a.id) if a.json else _kv(
                    {k: json.dumps(v, default=repr) for k, v in s.module_vars(a.id).items()})
                or "(none)")
    p.add_argument("id")
    p = command(mg, ("module", "dev"), "run a module from its directory while developing it "
                "(unsigned; edit, then `module reload`)",
                lambda s, a: s.module_dev(Path(a.path), allow_unsigned=a.allow_unsigned))
    p.add_argument("path")
    p.add_argument("--allow-unsigned", action="store_true")
    p = command(mg, ("module", "reload"), "re-read a module in development (a syntax error "
                "keeps the previous version and names file:line)",
                lambda s, a: s.module_reload(a.id))
    p.add_argument("id")
    command(mg, ("module", "update"), "fetch the repository's list of modules (verified)",
            _module_update)
    p = command(mg, ("module", "search"), "modules in the repository, with the installed "
                "version and whether an upgrade exists", _module_search)
    p.add_argument("text", nargs="?", default="")
    p = command(mg, ("module", "upgrade"), "upgrade add-on modules from the repository",
                _module_upgrade)
    p.add_argument("ids", nargs="*", metavar="ID")
    p.add_argument("--all", action="store_true", help="every module with an upgrade")
    p = command(mg, ("module", "bump"), "increase a module's version the seed's way "
                "(0.4 -> 0.4.01 -> 0.4.02; --release: 0.5)", _module_bump)
    p.add_argument("dir")
    p.add_argument("--release", action="store_true")

    # repo ------------------------------------------------------------------------------
    rg = groups.add_parser("repo", help="publish modules: a repository with testing, stable "
                           "and archive channels").add_subparsers(dest="cmd", required=True)
    p = command(rg, ("repo", "init"), "make an empty repository signed by KEY", _repo_init)
    p.add_argument("dir")
    p.add_argument("--name", help="the repository's name (default: the directory's)")
    p.add_argument("--key", help="private key file (default: $PROVHOST_REPO_KEY)")
    p = command(rg, ("repo", "publish"), "lint, sign and add modules to a channel",
                _repo_publish)
    p.add_argument("dir")
    p.add_argument("zips", nargs="+", metavar="MODULE.zip")
    p.add_argument("--channel", default="testing", choices=["testing", "stable", "archive"])
    p.add_argument("--key", help="private key file (default: $PROVHOST_REPO_KEY)")
    p = command(rg, ("repo", "promote"), "copy a version from one channel to another",
                _repo_promote)
    p.add_argument("dir")
    p.add_argument("id")
    p.add_argument("version")
    p.add_argument("--from", dest="src", default="testing")
    p.add_argument("--to", dest="dst", default="stable")
    p.add_argument("--key", help="private key file (default: $PROVHOST_REPO_KEY)")
    p = command(rg, ("repo", "archive"), "retire a module: testing and stable -> archive",
                _repo_archive)
    p.add_argument("dir")
    p.add_argument("id")
    p.add_argument("--key", help="private key file (default: $PROVHOST_REPO_KEY)")
    p = command(rg, ("repo", "refresh"), "re-sign a channel with a new serial and expiry",
                _repo_refresh)
    p.add_argument("dir")
    p.add_argument("--channel", default="stable", choices=["testing", "stable", "archive"])
    p.add_argument("--days", type=float, default=30.0)
    p.add_argument("--key", help="private key file (default: $PROVHOST_REPO_KEY)")
    p = command(rg, ("repo", "list"), "modules of a repository", _repo_list)
    p.add_argument("dir")
    p.add_argument("--channel", choices=["testing", "stable", "archive"])
    p = command(rg, ("repo", "build"), "build one module zip per model of a family "
                "(common/ overlaid with each model folder)", _repo_build)
    p.add_argument("family")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--repo", help="refuse unbumped models when common/ changed since the "
                                  "family's last build published here")

    p = command(fg, ("firmware", "packages"), "firmware packages the modules offer, their "
                "slot and whether installed", _firmware_packages)
    p.add_argument("module", nargs="?")
    p.add_argument("--licence", metavar="PACKAGE", help="print this package's licence text")
    p = command(fg, ("firmware", "install"), "download, verify and install a firmware "
                "package into its slot", _firmware_install)
    p.add_argument("module")
    p.add_argument("package")
    p.add_argument("--from", dest="source", metavar="FILE|DIR|URL",
                   help="take the file(s) from here instead of the mirror and vendor URIs")
    p.add_argument("--accept-licence", action="store_true",
                   help="accept the package's licence (read it with --licence first)")
    p.add_argument("--unverified", action="store_true",
                   help="install a package whose vendor publishes no checksum")
    p = command(fg, ("firmware", "mirror"), "download every pinned firmware file into DIR "
                "(laid out by hash; serve it or set FIRMWARE_MIRROR to it)", _firmware_mirror)
    p.add_argument("dir")
    p.add_argument("modules", nargs="*", metavar="MODULE")
    p = command(mg, ("module", "fw-hash"), "write sizes and SHA-256 of downloaded firmware "
                "files into a module's firmware_packages", _module_fw_hash)
    p.add_argument("dir", help="the module directory")
    p.add_argument("files", nargs="+", metavar="FILE", help="the downloaded files")

    # user ------------------------------------------------------------------------------
    ug = groups.add_parser("user", help="PBX users").add_subparsers(dest="cmd", required=True)
    p = command(ug, ("user", "add"), "add a user", lambda s, a: s.user_add(a.username, a.fullname))
    p.add_argument("username")
    p.add_argument("fullname")
    command(ug, ("user", "list"), "list users", lambda s, a: s.user_list() if a.json else
            _table(s.user_list(), ["id", "username", "fullname"]))
    p = command(ug, ("user", "rename"), "change a user's full name",
                lambda s, a: s.user_rename(a.username, a.fullname))
    p.add_argument("username")
    p.add_argument("fullname")
    p = command(ug, ("user", "remove"), "remove a user", lambda s, a: s.user_remove(a.username))
    p.add_argument("username")

    # line ------------------------------------------------------------------------------
    lg = groups.add_parser("line", help="extensions (SIP accounts)").add_subparsers(
        dest="cmd", required=True)
    p = command(lg, ("line", "add"), "add an extension, optionally on a phone",
                lambda s, a: s.line_add(a.telnum, user=a.user, phone=a.phone,
                                        sip_username=a.sip_username, sip_password=a.sip_password,
                                        label=a.label))
    p.add_argument("telnum")
    p.add_argument("--user")
    p.add_argument("--phone", help="MAC of the phone to put the line on")
    p.add_argument("--sip-username")
    p.add_argument("--sip-password", help="default: generated")
    p.add_argument("--label", default="")
    p = command(lg, ("line", "list"), "list extensions",
                lambda s, a: s.line_list(a.phone) if a.json else _table(
                    s.line_list(a.phone), ["telnum", "sip_username", "phone", "position", "label"]))
    p.add_argument("--phone")
    p = command(lg, ("line", "assign"), "put an extension on a phone (or --none)",
                lambda s, a: s.line_assign(a.telnum, None if a.none else a.phone))
    p.add_argument("telnum")
    p.add_argument("phone", nargs="?")
    p.add_argument("--none", action="store_true", help="take the line off its phone")
    p = command(lg, ("line", "remove"), "remove an extension", lambda s, a: s.line_remove(a.telnum))
    p.add_argument("telnum")

    # prefix ----------------------------------------------------------------------------
    xg = groups.add_parser("prefix", help="outbound-route prefixes (for dialplans)"
                           ).add_subparsers(dest="cmd", required=True)
    p = command(xg, ("prefix", "add"), "add an outbound prefix", lambda s, a: s.prefix_add(a.prefix))
    p.add_argument("prefix")
    command(xg, ("prefix", "list"), "list outbound prefixes", lambda s, a: s.prefix_list())
    p = command(xg, ("prefix", "remove"), "remove an outbound prefix",
                lambda s, a: s.prefix_remove(a.prefix))
    p.add_argument("prefix")

    # settings --------------------------------------------------------------------------
    sg = groups.add_parser("settings", help="global settings").add_subparsers(
        dest="cmd", required=True)
    p = command(sg, ("settings", "get"), "show settings (all, or one)",
                lambda s, a: s.setting_get(a.name) if a.name else
                (s.settings() if a.json else _kv(s.settings())))
    p.add_argument("name", nargs="?")
    p = command(sg, ("settings", "set"), "change a setting",
                lambda s, a: s.setting_set(a.name, a.value))
    p.add_argument("name")
    p.add_argument("value")
    release_commands.register(groups)  # release, upgrade, service (docs/upgrade.md)
    return parser, handlers


def _db_migrate_to(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.store.base import StoreError
    from provhost.store.copy import copy_sqlite_to_postgresql
    from provhost.store.postgres import is_postgresql_url, redact

    if not is_postgresql_url(a.url):
        raise ServiceError("migrate-to needs a postgresql:// URL")
    try:
        counts = copy_sqlite_to_postgresql(str(svc.paths.database), a.url)
    except StoreError as e:
        raise ServiceError(str(e)) from None
    return {"target": redact(a.url), "copied": counts, "verified": True,
            "next": "start provhost with --database (or PROVHOST_DATABASE) set to the URL"}


def _serve(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.server.main import run_server  # imported late: trio servers are heavy

    if a.https_port is not None and not (a.cert and a.key):
        raise ServiceError("--https-port needs --cert and --key")
    if a.api_https and not (a.cert and a.key):
        raise ServiceError("--api-https needs --cert and --key")
    if a.processes is not None and a.processes < 1:
        raise ServiceError("--processes must be at least 1")
    rc = run_server(svc, listen=a.listen, http_port=a.http_port, tftp_port=a.tftp_port,
                    api_port=a.api_port, https_port=a.https_port, certfile=a.cert,
                    keyfile=a.key, ftp_port=a.ftp_port, api_https=a.api_https,
                    processes=a.processes)
    if rc:
        raise ServiceError("a server process failed; the set was stopped (see the log)")
    return None


def _request(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.server.oneshot import request_once

    answer, trace, body = request_once(svc, a.path, proto=a.proto, ip=a.ip,
                                       user_agent=a.user_agent)
    if a.json:
        return {"trace": trace.as_dict(), "status": answer.status,
                "body": body.decode("utf-8", "replace") if a.body else None}
    text = trace.render()
    if a.body and body:
        text += "\n\n" + body.decode("utf-8", "replace")
    return text


def _firmware_list(svc: Service, a: argparse.Namespace) -> Any:
    rows = firmware.slot_views(svc.state)
    if a.json:
        return rows
    for r in rows:
        r["content"] = (f"{r['filename']} ({r['size']} bytes, id {r['content_id']}"
                        f"{'' if r['verified'] else ', UNVERIFIED'})" if r["content_id"]
                        else "(empty)")
    return _table(rows, ["module", "slot", "type", "name", "content"])


def _firmware_upload(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.server.oneshot import firmware_upload_once

    result = firmware_upload_once(svc, a.module, a.slot, Path(a.file), not a.no_verify)
    return {"module": a.module, "slot": a.slot, "content_id": result.state.content_id,
            "files": " ".join(result.files), "verified": result.state.verified}


def _firmware_preview(svc: Service, a: argparse.Namespace) -> Any:
    data = firmware.preview(svc.state, a.module, a.slot)
    Path(a.output).write_bytes(data)
    return {"saved": a.output, "size": len(data)}


def _module_install(svc: Service, a: argparse.Namespace) -> Any:
    source = Path(a.source)
    if source.exists() or "/" in a.source or a.source.endswith(".zip"):
        return svc.module_install(source, allow_unsigned=a.allow_unsigned, force=a.force)
    import trio

    from provhost.repo.client import install

    return trio.run(lambda: install(svc, a.source, force=a.force))


def _module_update(svc: Service, a: argparse.Namespace) -> Any:
    import trio

    from provhost.repo.client import update

    index = trio.run(update, svc)
    return {"repository": index.repository, "channel": index.channel,
            "serial": index.serial, "modules": len(index.modules)}


def _module_search(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.repo.client import search

    rows = search(svc, a.text)
    if a.json:
        return rows
    for r in rows:
        r["state"] = ("UPGRADE AVAILABLE" if r["upgrade"] else
                      "installed" if r["installed"] else "")
    return _table(rows, ["id", "version", "installed", "state", "name"])


def _module_upgrade(svc: Service, a: argparse.Namespace) -> Any:
    import trio

    from provhost.repo.client import upgrade

    if not a.ids and not a.all:
        raise ServiceError("name the modules to upgrade, or --all")
    rows = trio.run(lambda: upgrade(svc, [] if a.all else list(a.ids)))
    return rows if a.json else _table(rows, ["id", "version", "result"])


def _module_bump(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.repo.versions import bump_info_text

    info = Path(a.dir) / "info"
    try:
        text, old, new = bump_info_text(info.read_text(), release=a.release)
    except ValueError as e:
        raise ServiceError(f"{info}: {e}") from None
    info.write_text(text)
    return {"module": a.dir, "old": old, "new": new}


def _repo_key(a: argparse.Namespace) -> bytes:
    import os

    key = a.key or os.environ.get("PROVHOST_REPO_KEY")
    if not key:
        raise ServiceError("give the repository's private key: --key FILE or "
                           "$PROVHOST_REPO_KEY")
    return Path(key).read_bytes()


def _publishing(fn: Callable[[], Any]) -> Any:
    from provhost.repo.publisher import PublishError
    from provhost.signing import SignatureError

    try:
        return fn()
    except (PublishError, SignatureError, ValueError) as e:
        raise ServiceError(str(e)) from None


def _repo_init(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.repo.publisher import init

    root = Path(a.dir)
    repo = _publishing(lambda: init(root, a.name or root.resolve().name, _repo_key(a)))
    import base64

    return {"repository": repo.name, "dir": str(root),
            "public_key": base64.b64encode(repo.public_key).decode()}


def _repo_publish(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.repo.publisher import open_repository, publish

    added = _publishing(lambda: publish(open_repository(Path(a.dir)), a.channel,
                                        [Path(z) for z in a.zips], _repo_key(a)))
    rows = [{"channel": a.channel, "id": e.id, "version": e.version, "sha256": e.sha256}
            for e in added]
    return rows if a.json else _table(rows, ["channel", "id", "version", "sha256"])


def _repo_promote(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.repo.publisher import open_repository, promote

    e = _publishing(lambda: promote(open_repository(Path(a.dir)), a.id, a.version, a.src,
                                    a.dst, _repo_key(a)))
    return {"id": e.id, "version": e.version, "from": a.src, "to": a.dst}


def _repo_archive(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.repo.publisher import archive, open_repository

    moved = _publishing(lambda: archive(open_repository(Path(a.dir)), a.id, _repo_key(a)))
    return {"archived": a.id, "versions": " ".join(e.version for e in moved)}


def _repo_refresh(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.repo.publisher import open_repository, refresh

    index = _publishing(lambda: refresh(open_repository(Path(a.dir)), a.channel,
                                        _repo_key(a), a.days))
    return {"channel": index.channel, "serial": index.serial, "expires": index.expires}


def _repo_list(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.repo.publisher import listing, open_repository

    rows = _publishing(lambda: listing(open_repository(Path(a.dir)), a.channel))
    return rows if a.json else _table(rows, ["channel", "id", "version", "size", "name"])


def _repo_build(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.repo.family import build
    from provhost.repo.publisher import open_repository

    repo = _publishing(lambda: open_repository(Path(a.repo))) if a.repo else None
    built = _publishing(lambda: build(Path(a.family), Path(a.output), repo))
    rows = [{"id": b.id, "version": b.version, "zip": str(b.zip)} for b in built]
    return rows if a.json else _table(rows, ["id", "version", "zip"])


def _firmware_packages(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.fwpackages.install import find_package, licence_text, package_views

    if a.licence:
        if not a.module:
            raise ServiceError("--licence needs the module too: firmware packages MODULE "
                               "--licence PACKAGE")
        text = licence_text(svc.state, a.module, find_package(svc.state, a.module, a.licence))
        return text if text is not None else f"{a.licence}: no licence to accept"
    rows = package_views(svc.state, a.module)
    if a.json:
        return rows
    for r in rows:
        r["state"] = (("installed" + ("" if r["installed_verified"] else " (UNVERIFIED)"))
                      if r["installed"] else "-")
        r["hash"] = "pinned" if r["verified"] else "UNVERIFIED"
        r["licence"] = "yes" if r["licence"] else ""
    return _table(rows, ["module", "package", "slot", "hash", "licence", "state", "name"])


def _firmware_install(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.fwpackages.install import InstallOptions
    from provhost.server.oneshot import package_install_once

    opts = InstallOptions(source=a.source, accept_licence=a.accept_licence,
                          unverified=a.unverified)
    inst = package_install_once(svc, a.module, a.package, opts).install
    return {"module": inst.module_id, "package": inst.package_id, "slot": inst.slot,
            "content_id": inst.content_id, "verified": inst.verified,
            "files": " ".join(f"{n} ({s} bytes, sha256 {h})" for n, s, h in inst.files)}


def _firmware_mirror(svc: Service, a: argparse.Namespace) -> Any:
    import trio

    from provhost.fwpackages.mirror import fill_mirror

    rows = [r.as_dict() for r in trio.run(fill_mirror, svc.state, Path(a.dir),
                                          list(a.modules))]
    out: Any = rows if a.json else _table(rows, ["module", "package", "file", "outcome"])
    failed = [r for r in rows if r["outcome"].startswith("failed")]
    if failed:
        raise ServiceError(f"{len(failed)} file(s) could not be mirrored:\n"
                           + (json.dumps(out, indent=2) if a.json else out))
    return out


def _module_fw_hash(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.fwpackages.fwhash import fw_hash

    try:
        report = fw_hash(Path(a.dir), [Path(f) for f in a.files])
    except ValueError as e:
        raise ServiceError(str(e)) from None
    problems = [p for p in svc.module_check(Path(a.dir))
                if p["text"].startswith("firmware_packages")]
    if a.json:
        return {"updated": report, "problems": problems}
    return "\n".join(report + [p["text"] for p in problems])


def _phone_upload(svc: Service, a: argparse.Namespace) -> Any:
    data = svc.phone_upload_read(a.mac, a.name)
    if a.output:
        Path(a.output).write_bytes(data)
        return {"name": a.name, "size": len(data), "saved": a.output}
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return _ALREADY_WRITTEN


def _phone_config(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.review import ReviewError, build_zip
    from provhost.server.oneshot import review_once

    try:
        files = review_once(svc, svc.phone_show(a.mac)["mac"])
    except ReviewError as e:
        raise ServiceError(str(e)) from None
    Path(a.output).write_bytes(build_zip(files))
    rows = [{"entry": f.entry.text, "status": f.status, "module": f.module,
             "bytes": None if f.data is None else len(f.data), "in_zip": f.archive_name}
            for f in files]
    return rows if a.json else _table(rows, ["entry", "status", "module", "bytes", "in_zip"])


def _phone_stale(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.server.oneshot import stale_once

    rows = stale_once(svc)
    return rows if a.json else _table(rows, ["mac_pretty", "phone_type", "last_ip", "reason",
                                             "resync_result"])


def _phone_resync(svc: Service, a: argparse.Namespace) -> Any:
    import dataclasses

    from provhost.server.oneshot import resync_once

    result = resync_once(svc, svc.phone_show(a.mac)["mac"])
    if not result.ok:
        raise ServiceError(f"resync of {result.mac} ({result.method or 'no method'}): "
                           f"{result.detail}")
    return dataclasses.asdict(result)


_ALREADY_WRITTEN = object()  # the handler wrote raw bytes to stdout itself


def _render(result: Any, as_json: bool) -> str | None:
    if result is _ALREADY_WRITTEN:
        return None
    if result is None:
        return "ok" if not as_json else json.dumps({"ok": True})
    if as_json:
        return json.dumps(result, indent=2, sort_keys=True, default=str)
    if isinstance(result, str):
        return result
    if isinstance(result, dict):
        return _kv(result)
    if isinstance(result, list):
        return "\n".join(str(x) for x in result) or "(none)"
    return str(result)


def main(argv: Sequence[str] | None = None) -> int:
    parser, handlers = _build_parser()
    args = parser.parse_args(argv)
    # a server process of `serve --processes N` says which one it is on every line
    spec = json.loads(os.environ.get("PROVHOST_PROCESS") or "null")
    who = f" [p{spec['index']}/{spec['count']} pid %(process)d]" if spec else ""
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format=f"%(asctime)s %(levelname)s{who} %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    if args.group in release_commands.GROUPS:  # no Service: opening the store migrates it
        return release_commands.run(args)
    key = (args.group,) + ((args.cmd,) if getattr(args, "cmd", None) else ())
    handler = handlers[key]
    try:
        # `db migrate-to` reads the data directory's own SQLite, whatever the store setting
        database = "" if args.group == "db" else args.database
        svc = Service(Paths.from_env(args.data_dir, database))
    except Exception as e:  # a broken data directory: say so in one line
        print(f"provhost: error: cannot open the data directory: {e}", file=sys.stderr)
        return EXIT_ERROR
    try:
        out = _render(handler(svc, args), args.json)
    except ServiceError as e:
        print(f"provhost: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except _Failed as e:
        payload = e.args[0]
        print(json.dumps(payload, indent=2) if args.json else payload)
        return EXIT_ERROR
    except (OSError, FileNotFoundError) as e:
        print(f"provhost: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        svc.close()
    if out is not None:
        print(out)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
