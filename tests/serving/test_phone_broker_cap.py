"""A resync script's urlopenPhone() reads at most MAX_RESPONSE bytes of what the phone's
address answers, as it streams: an endless answer neither grows memory nor hangs the
script (it used to read the whole body, then slice it)."""

from __future__ import annotations

from functools import partial

import trio
from provhost.resync import phone_broker
from provhost.resync.phone_broker import PhoneBroker


async def _endless_http(stream: trio.SocketStream) -> None:
    """An HTTP/1.1 server announcing 1 GiB and sending it until the client leaves."""
    await stream.receive_some(65536)
    await stream.send_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n"
                          b"Content-Type: application/octet-stream\r\n\r\n")
    chunk = b"x" * 65536
    try:
        while True:
            await stream.send_all(chunk)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass


async def test_urlopen_stops_reading_at_the_cap(nursery: trio.Nursery) -> None:
    listeners = await nursery.start(partial(trio.serve_tcp, _endless_http, 0, host="127.0.0.1"))
    port = listeners[0].socket.getsockname()[1]
    broker = PhoneBroker("127.0.0.1")
    try:
        with trio.fail_after(10):
            data = await broker.call("urlopenPhone", ["http", "/status", {"port": port}])
    finally:
        await broker.aclose()
    assert len(data) == phone_broker.MAX_RESPONSE
    assert broker.requests == [f"GET http://127.0.0.1:{port}/status"]
