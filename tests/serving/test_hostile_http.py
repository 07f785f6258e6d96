"""Malformed and hostile HTTP: a clear answer, a log line, and the server keeps serving."""

from __future__ import annotations

import trio

from .conftest import Running, curl

MAC = "0004f2000099"


async def _still_serving(server: Running) -> None:
    server.svc.phone_add(MAC, "spa504g")
    status, _ = await curl(server.url(f"/Cisco/SPA504G/{MAC}.cfg"))
    assert status == 200


async def test_path_traversal_is_resolved_never_above_the_root(server: Running) -> None:
    """Kerio resolves `..` in $PATH; it never climbs above `/`, so no file outside what
    the modules serve can be named.  NUL and control characters are still refused."""
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/a/..%2f..%2fetc/passwd"):
        status, body = await curl("--path-as-is", server.url(path))
        assert status == 404, (path, status)  # /etc/passwd: no module answers it
        assert b"root:" not in body
    for path in ("/x%00y.cfg", "/x%0ay.cfg"):
        status, body = await curl("--path-as-is", server.url(path))
        assert status == 400, (path, status)
        assert b"bad request" in body
    await _still_serving(server)
    status, body = await curl("--path-as-is",
                              server.url(f"/x/../../Cisco/./SPA504G/{MAC}.cfg"))
    assert status == 200 and b"<flat-profile>" in body  # resolved as the phone meant it


async def test_overlong_path_is_refused(server: Running) -> None:
    status, _ = await curl(server.url("/" + "a" * 600))
    assert status == 400
    await _still_serving(server)


async def test_huge_headers_are_refused(server: Running) -> None:
    status, _ = await curl("-H", "X-Big: " + "x" * 70_000, server.url("/anything"))
    assert status in (0, 400, 413, 431)  # refused or connection closed, never served
    await _still_serving(server)


async def test_other_methods_get_405(server: Running) -> None:
    for method in ("DELETE", "PATCH", "OPTIONS"):
        status, _ = await curl("-X", method, server.url("/x.cfg"))
        assert status == 405, method


async def test_upload_no_module_accepts_is_403(server: Running) -> None:
    status, body = await curl("-X", "POST", "--data", "x", server.url("/x.cfg"))
    assert status == 403
    assert b"no module accepts an upload to this path" in body
    await _still_serving(server)


async def test_slowloris_client_is_dropped_and_others_are_served(server: Running) -> None:
    stream = await trio.open_tcp_stream("127.0.0.1", server.ports.http)
    await stream.send_all(b"GET /slow.cfg HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    await _still_serving(server)  # served while the slow client hangs
    with trio.fail_after(5):  # read_timeout is 1 s in the test server
        data = await stream.receive_some(1024)
        while data:
            data = await stream.receive_some(1024)
    await stream.aclose()


async def test_garbage_request_line(server: Running) -> None:
    stream = await trio.open_tcp_stream("127.0.0.1", server.ports.http)
    await stream.send_all(b"\x00\xff\xfe garbage \r\n\r\n")
    with trio.fail_after(5):
        reply = await stream.receive_some(1024)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 400")
    await stream.aclose()
    await _still_serving(server)
