"""The runner's phone-like clients see exactly what curl and tftp-hpa see, and the server
sees each from the source address the sequence was given."""

from __future__ import annotations

from pathlib import Path

import trio
from provhost.moduletest import clients
from provhost.moduletest.scratch import scratch_server

from ..serving.conftest import curl, tftp_get

ACME = Path(__file__).parent / "fixtures" / "acme"
MAC = "0a0000000007"


async def test_clients_agree_with_curl_and_tftp_hpa(tmp_path: Path) -> None:
    async with scratch_server(ACME, "native", as_bundled=False) as s:
        s.svc.phone_add(MAC, "acme_a", "acme")
        s.svc.line_add("70", phone=MAC)
        s.svc.setting_set("UPLOAD_SAME_IP", "0")  # the uploads below come from two addresses
        t = s.target
        ours = await clients.tftp_get(t, "127.0.0.31", f"/{MAC}.ini")
        code, _ = await tftp_get(t.tftp, f"/{MAC}.ini", str(tmp_path / "got.ini"))
        assert code == 0 and ours.result == "served"
        assert ours.body == (tmp_path / "got.ini").read_bytes() and b"line1 = 70\r\n" in ours.body
        ours = await clients.http_request(t, False, "127.0.0.32", "GET", f"/{MAC}.ini", "Acme A")
        status, body = await curl("--interface", "127.0.0.32", "-A", "Acme A",
                                  f"http://127.0.0.1:{t.http}/{MAC}.ini")
        assert (ours.status, ours.body) == (status, body) == (200, ours.body)
        missing = await clients.http_request(t, False, "127.0.0.32", "GET", "/none.cfg")
        status, _ = await curl(f"http://127.0.0.1:{t.http}/none.cfg")
        assert (missing.result, missing.status, status) == ("not_found", 404, 404)
        big = b"x" * 1536  # three full TFTP blocks, then an empty one
        put = await clients.tftp_put(t, "127.0.0.33", f"/{MAC}-log.txt", big)
        assert put.result == "upload_accepted"
        assert s.svc.phone_upload_read(MAC, f"{MAC}-log.txt") == big
        traces = await trio.to_thread.run_sync(s.api, "GET", "/traces?limit=50")
        assert {t["client"] for t in traces} >= {"127.0.0.31", "127.0.0.32", "127.0.0.33"}
