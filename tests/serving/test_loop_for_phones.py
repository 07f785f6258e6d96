"""The loop is for phones: while a large firmware is uploaded (copied and preprocessed) and
a module is installed (unzipped, checked), phones keep being answered, none waiting for
either to finish."""

from __future__ import annotations

import io
import zipfile

import httpx
import trio

from .conftest import Running
from .test_firmware_slots import _api, _zip

SPA_MAC = "0004f2000123"
PAYLOAD = b"FWIMG" + b"\0" * (48 * 1024 * 1024)  # 48 MiB


def _other_module() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        files = {"info": "id = other\nname = Another\nversion = 1.0\nsequence = 9\n",
                 "phone_types": 't1 1 "Other phone"\n',
                 "providers/p.php": "<?php\npassNext();\n",
                 **{f"templates/t{i}.tpl": f"line {i} {{$MAC}}\n" * 200 for i in range(50)}}
        for name, text in files.items():
            zf.writestr(f"other/{name}", text)
    return buf.getvalue()


async def test_phones_are_answered_during_a_firmware_upload_and_a_module_install(
        server: Running) -> None:
    server.svc.phone_add(SPA_MAC, "spa504g")
    async with _api(server) as api:
        r = await api.post("/modules", params={"allow_unsigned": "1"}, content=_zip())
        assert r.status_code == 201, r.text
        busy: dict[str, tuple[float, float]] = {}  # operation -> (start, end)
        answered: list[tuple[float, float]] = []  # (sent, answered) of phone requests

        async def operation(name: str, method: str, url: str, body: bytes) -> None:
            start = trio.current_time()
            r = await api.request(method, url, content=body)
            assert r.status_code in (200, 201), r.text
            busy[name] = (start, trio.current_time())

        async with httpx.AsyncClient(timeout=30) as phone:
            async def phone_requests() -> None:
                while len(busy) < 2:
                    sent = trio.current_time()
                    r = await phone.get(server.url(f"/Cisco/SPA504G/{SPA_MAC}.cfg"))
                    assert r.status_code == 200 and b"<flat-profile>" in r.content
                    answered.append((sent, trio.current_time()))
                    await trio.sleep(0.01)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(phone_requests)
                nursery.start_soon(operation, "firmware", "PUT", "/firmware/fwtest/fw", PAYLOAD)
                nursery.start_soon(operation, "install", "POST", "/modules?allow_unsigned=1",
                                   _other_module())
    first = min(start for start, _ in busy.values())
    last = max(end for _, end in busy.values())
    during = [(s, e) for s, e in answered if first <= s and e <= last]
    assert len(during) >= 3, (busy, answered)  # phones were answered meanwhile
    longest = max(e - s for s, e in during)
    assert longest < (last - first), (longest, busy)  # no phone waited for all of it
