"""A loopback HTTP server playing a firmware vendor (good files, lies, redirects, hangs), and
a test module whose firmware_packages point at it."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GOOD = b"FWIMG" + bytes(range(256)) * 64  # a firmware image the slot's script accepts
OTHER = b"FWIMG" + bytes(reversed(range(256))) * 64  # same size, other bytes
PART_A = b"FWIMG part a\n" * 100
PART_B = b"FWIMG part b\n" * 50


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Vendor(BaseHTTPRequestHandler):
    hits: list[str]

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
              length: bool = True) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        routes = {"/fw/good.bin": GOOD, "/fw/other.bin": OTHER, "/fw/a.bin": PART_A,
                  "/fw/b.bin": PART_B}
        if self.path in routes:
            self._send(200, routes[self.path])
        elif self.path == "/fw/grows.bin":  # no length announced, then more than pinned
            self._send(200, GOOD + b"X" * 100_000, length=False)
        elif self.path == "/fw/redirect-ftp":
            self._send(302, b"", {"Location": "ftp://127.0.0.1/fw/good.bin"})
        elif self.path == "/fw/redirect-good":
            self._send(302, b"", {"Location": "/fw/good.bin"})
        elif self.path == "/fw/loop":
            self._send(302, b"", {"Location": "/fw/loop"})
        elif self.path == "/fw/hang.bin":
            self.send_response(200)
            self.send_header("Content-Length", str(len(GOOD)))
            self.end_headers()
            self.wfile.write(GOOD[:100])
            self.wfile.flush()
            time.sleep(5)
        elif self.path == "/fw/error":
            self._send(500, b"internal error")
        else:
            self._send(404, b"not found")


@contextmanager
def vendor_server() -> Iterator[tuple[str, list[str]]]:
    """(base URL, list of paths requested) of a running vendor server on 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Vendor)
    server.daemon_threads = True
    server.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.hits  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def _file(name: str, uri: str, data: bytes | None, *, size: int | None = None) -> str:
    lines = [f"[file {name}]", f"uri = {uri}"]
    if data is not None:
        lines += [f"size = {len(data) if size is None else size}", f"sha256 = {sha(data)}"]
    return "\n".join(lines) + "\n"


def _package(pid: str, files: str, **extra: str) -> str:
    lines = [f"[package {pid}]", f"name = Test firmware {pid}", "slot = fw", f"files = {files}"]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def write_module(root: Path, base: str) -> Path:
    """The fwpkg test module: a firmware slot whose script wants the FWIMG header (or a
    zip), a phone type using it, and packages for every way a vendor can fail us."""
    root.mkdir(parents=True, exist_ok=True)
    files = {
        "info": "id = fwpkg\nname = Firmware package test\nversion = 1.0\nsequence = 1\n",
        "phone_types": ('fwphone 1 "FW phone" FW=fw RESYNC=SIPNOTIFY '
                        'SIPNOTIFY_arg="reboot=true"\n'),
        "firmware_types": 'fw "Firmware" firmware LONGDESC="FWIMG image"\n',
        "firmware/fw.php": """<?php
$data = file_get_contents($FW_INFILE);
if (str_starts_with($data, "PK")) {
    exec('cd _tmp && unzip -q ' . escapeshellarg($FW_INFILE), $out, $rc);
    if ($rc !== 0) { rejectFirmware('bad zip'); }
    foreach (glob('_tmp/*.bin') as $f) { copy($f, basename($f)); }
    acceptFirmware();
}
if (!str_starts_with($data, 'FWIMG')) { rejectFirmware('no FWIMG header'); }
copy($FW_INFILE, 'image.bin');
acceptFirmware();
""",
        "providers/p.php": """<?php
if (preg_match('~^/fwpkg-([0-9a-f]{12})\\.cfg$~', $PATH, $m)) {
    associatePhone($m[1], 'fwphone');
    sendTemplate('cfg');
}
""",
        "templates/cfg.tpl": ("@$id = haveFirmware('fw') ? "
                              "$FIRMWARE_TYPES['fw']['FW_CONTENT_ID'] : 'none';\n"
                              "fw={$id}\n"),
        "licences/vendor.txt": "You may use this firmware only on our phones.\n",
        "firmware_packages": "# packages pointing at the loopback vendor\n" + "\n".join([
            _package("good", "good.bin"),
            _file("good.bin", f"{base}/fw/missing", GOOD) + f"uri = {base}/fw/good.bin\n",
            _package("redirected", "redir.bin"),
            _file("redir.bin", f"{base}/fw/redirect-good", GOOD),
            _package("wrong-hash", "other.bin"),
            _file("other.bin", f"{base}/fw/other.bin", GOOD),
            _package("wrong-size", "small.bin"),
            _file("small.bin", f"{base}/fw/good.bin", GOOD, size=len(GOOD) + 10),
            _package("grows", "grows.bin"),
            _file("grows.bin", f"{base}/fw/grows.bin", GOOD),
            _package("to-ftp", "ftp.bin"),
            _file("ftp.bin", f"{base}/fw/redirect-ftp", GOOD),
            _package("loops", "loop.bin"),
            _file("loop.bin", f"{base}/fw/loop", GOOD),
            _package("gone", "gone.bin"),
            _file("gone.bin", f"{base}/fw/missing", GOOD) + f"uri = {base}/fw/error\n",
            _package("hangs", "hang.bin"),
            _file("hang.bin", f"{base}/fw/hang.bin", GOOD),
            _package("licensed", "good.bin", licence="licences/vendor.txt"),
            _package("unpinned", "free.bin"),
            _file("free.bin", f"{base}/fw/other.bin", None),
            _package("two-files", "a.bin b.bin"),
            _file("a.bin", f"{base}/fw/a.bin", PART_A),
            _file("b.bin", f"{base}/fw/b.bin", PART_B),
        ]),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
