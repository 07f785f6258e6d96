"""End to end with Debian's tftp-hpa client against the trio server on loopback.

tftp-hpa 5.2 exits 0 even on errors, so its stdout is checked.
"""

from __future__ import annotations

from pathlib import Path

import trio
from provhost.tftp import BytesReply, ErrorReply, FileReply, TftpRequest

from .conftest import Starter

CONFIG = b"# generated config\nproxy=10.0.0.1\n" * 40  # 1360 bytes: 3 blocks


async def tftp(port: int, *command: str, mode: str = "binary") -> str:
    result = await trio.run_process(
        ["tftp", "-v", "127.0.0.1", str(port), "-m", mode, "-c", *command],
        capture_stdout=True, capture_stderr=True, check=False,
    )
    return result.stdout.decode() + result.stderr.decode()


async def serve_files(request: TftpRequest) -> BytesReply | ErrorReply | FileReply:
    files = {
        "/spa.cfg": CONFIG,
        "/exact.bin": bytes(range(256)) * 4,  # exactly two blocks: ends with an empty one
        "/empty.cfg": b"",
        "/text.txt": b"line one\nbare\rcr\n",
    }
    if request.path == "/firmware.bin":
        blob = bytes(i % 251 for i in range(200_000))

        async def read(offset: int, length: int) -> bytes:
            return blob[offset: offset + length]

        return FileReply(len(blob), read)
    if request.path not in files:
        return ErrorReply(1, f"{request.path} not found")
    return BytesReply(files[request.path])


async def test_get_binary_files(start_server: Starter, tmp_path: Path) -> None:
    port = await start_server(serve_files)
    for name, size in (("spa.cfg", len(CONFIG)), ("exact.bin", 1024), ("firmware.bin", 200_000)):
        out = await tftp(port, "get", f"/{name}", str(tmp_path / name))
        assert f"Received {size} bytes" in out, out
    # tftp-hpa prints no statistics for an empty file; it must just not report an error
    out = await tftp(port, "get", "/empty.cfg", str(tmp_path / "empty.cfg"))
    assert "rror" not in out and "getting from" in out, out
    assert (tmp_path / "spa.cfg").read_bytes() == CONFIG
    assert (tmp_path / "exact.bin").read_bytes() == bytes(range(256)) * 4
    assert (tmp_path / "empty.cfg").read_bytes() == b""
    assert (tmp_path / "firmware.bin").read_bytes() == bytes(i % 251 for i in range(200_000))


async def test_get_netascii_round_trips_through_client(start_server: Starter,
                                                       tmp_path: Path) -> None:
    port = await start_server(serve_files)
    out = await tftp(port, "get", "/text.txt", str(tmp_path / "t"), mode="netascii")
    assert "Received 20 bytes" in out, out  # 17 local bytes + 2 CR before LF + 1 NUL after CR
    assert (tmp_path / "t").read_bytes() == b"line one\nbare\rcr\n"


async def test_not_found_error_reaches_the_client(start_server: Starter, tmp_path: Path) -> None:
    port = await start_server(serve_files)
    out = await tftp(port, "get", "/nope.cfg", str(tmp_path / "x"))
    assert "Error code 1: /nope.cfg not found" in out


async def test_put_refused_without_upload_handler(start_server: Starter, tmp_path: Path) -> None:
    port = await start_server(serve_files)
    (tmp_path / "up").write_bytes(b"data")
    out = await tftp(port, "put", str(tmp_path / "up"), "/up")
    assert "Error code 2: this server does not accept uploads" in out


async def test_put_accepted_and_rejected_by_upload_handler(start_server: Starter,
                                                           tmp_path: Path) -> None:
    stored: dict[str, bytes] = {}

    async def upload(request: TftpRequest, data: bytes) -> ErrorReply | None:
        if request.path.startswith("/ro/"):
            return ErrorReply(2, "read-only area")
        stored[request.path] = data
        return None

    port = await start_server(serve_files, upload_handler=upload)
    payload = bytes(range(256)) * 9 + b"tail"
    (tmp_path / "up").write_bytes(payload)
    out = await tftp(port, "put", str(tmp_path / "up"), "/logs/phone.log")
    assert f"Sent {len(payload)} bytes" in out, out
    assert stored == {"/logs/phone.log": payload}
    out = await tftp(port, "put", str(tmp_path / "up"), "/ro/x")
    assert "Error code 2: read-only area" in out, out
    assert "/ro/x" not in stored
