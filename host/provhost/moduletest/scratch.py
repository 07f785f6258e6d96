"""A throw-away provhost installation on loopback for replaying boot sequences.

Why a real server: a sequence must meet the module exactly as a phone does (the TFTP and
HTTP servers, the chain, markers per client address, the sandboxed runtime), so the
runner starts `serve_all` on 127.0.0.1 with ports chosen by the kernel in a temporary data
directory, and talks to it with real clients.  Nothing of the administrator's installation
is read or written.

Layout: the module alone (bundled modules of the source tree disabled, the cleanest view
for an author), or with `with_bundled` the whole bundled chain beside it.  A module whose
source lies in the bundled directory is run as the bundled chain runs it (kind "bundled");
any other source is installed as an unsigned add-on.  The module under test is pinned to
the runtime being tested.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio

from provhost.moduleformat.archive import extract_module
from provhost.moduleformat.info import parse_info
from provhost.moduleformat.model import FormatError
from provhost.paths import Paths
from provhost.runtime.interface import Runtime
from provhost.server.api_app import load_or_create_token
from provhost.server.main import RuntimeOpener, ServerConfig, serve_all
from provhost.service import Service

from .clients import Target


def _self_signed(directory: Path) -> tuple[str, str]:
    """A certificate for the scratch HTTPS port (clients here do not verify it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "provhost-module-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def _opener(runtime: str) -> RuntimeOpener:
    """Open only what the tested runtime needs; a wasm runtime that cannot start is an
    error here (the server would quietly fall back to native, hiding what was asked)."""

    @contextlib.asynccontextmanager
    async def open_runtimes() -> AsyncIterator[dict[str, Runtime]]:
        from provhost.runtime.native import NativeRuntime

        async with contextlib.AsyncExitStack() as stack:
            runtimes: dict[str, Runtime] = {
                "native": await stack.enter_async_context(NativeRuntime())}
            if runtime == "wasm":
                from provhost.runtime.wasm import WasmRuntime

                runtimes["wasm"] = await stack.enter_async_context(WasmRuntime())
            yield runtimes

    return open_runtimes


@dataclass
class Scratch:
    """A running scratch server: its Service (shared with the server), where it listens,
    and the id of the module under test."""

    svc: Service
    target: Target
    api_port: int
    token: str
    module_id: str
    version: str
    runtime: str

    def api(self, method: str, path: str, payload: Any = None) -> Any:
        """One call to the management API (blocking: run it in a thread)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=10)
        try:
            body = None if payload is None else json.dumps(payload).encode()
            conn.request(method, "/api/v1" + path, body=body, headers={
                "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        if resp.status >= 300:
            raise RuntimeError(f"API {method} {path}: HTTP {resp.status}: {data[:200]!r}")
        return json.loads(data)

    async def refresh(self) -> None:
        """Make the server's sandboxes follow module changes made by `setup` (pinning the
        module under test again is the API call that refreshes the engine)."""
        await trio.to_thread.run_sync(self.api, "PUT", f"/modules/{self.module_id}/runtime",
                                      {"runtime": self.runtime})


def _module_id(root: Path) -> str | None:
    try:
        return parse_info((root / "info").read_text(encoding="utf-8")).id
    except (OSError, UnicodeDecodeError, FormatError):
        return None  # the registry says what is wrong when it loads it


def is_bundled_source(source: Path, bundled_dir: Path) -> bool:
    """A directory directly inside the bundled modules directory."""
    source = Path(source)
    return source.is_dir() and source.resolve().parent == Path(bundled_dir).resolve()


@contextlib.asynccontextmanager
async def scratch_server(source: Path, runtime: str, *, as_bundled: bool,
                         with_bundled: bool = False, bundled_dir: Path | None = None,
                         ftp: bool = False, https: bool = False) -> AsyncIterator[Scratch]:
    """Start a scratch server with the module at `source` installed; yields a Scratch."""
    real_bundled = bundled_dir or Paths.from_env(".").bundled_dir
    with tempfile.TemporaryDirectory(prefix="provhost-moduletest-") as tmp:
        root = Path(tmp)
        root.chmod(0o755)  # firmware sandboxes run as nobody
        own_bundled = root / "bundled"
        own_bundled.mkdir()
        copy = extract_module(source, root / "source")  # what was validated is what runs
        source_id = _module_id(copy)
        if with_bundled:  # the bundled chain, the module under test instead of its namesake
            for d in sorted(Path(real_bundled).iterdir()):
                if d.is_dir() and (d / "info").is_file() and _module_id(d) != source_id:
                    (own_bundled / d.name).symlink_to(d.resolve())
        if as_bundled:
            copy = copy.rename(own_bundled / Path(source).name)
        svc = Service(Paths(data_dir=root / "data", bundled_dir=own_bundled))
        try:
            if as_bundled:
                module_id = source_id
            else:
                module_id = svc.module_install(copy, allow_unsigned=True, force=True)["id"]
            entry = svc.registry.get(module_id)
            svc.module_runtime(module_id, runtime)
            cert = key = None
            if https:
                cert, key = _self_signed(root)
            cfg = ServerConfig(listen="127.0.0.1", http_port=0, tftp_port=0, api_port=0,
                               ftp_port=0 if ftp else None, https_port=0 if https else None,
                               certfile=cert, keyfile=key, http_read_timeout=5.0,
                               resync_interval=3600.0)
            async with trio.open_nursery() as nursery:
                ports = await nursery.start(
                    lambda task_status=trio.TASK_STATUS_IGNORED: serve_all(
                        svc, cfg, runtime_opener=_opener(runtime), task_status=task_status))
                target = Target("127.0.0.1", ports.http, ports.tftp, ports.https, ports.ftp)
                yield Scratch(svc, target, ports.api, load_or_create_token(svc.paths.data_dir),
                              module_id, entry.state.version, runtime)
                nursery.cancel_scope.cancel()
        finally:
            svc.close()
