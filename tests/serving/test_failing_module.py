"""A module whose provider crashes: every request still gets its answer from the other
modules, the failure is logged with module and script, and the module is quarantined."""

from __future__ import annotations

import io
import logging
import zipfile

import httpx
import pytest
from provhost.engine import QUARANTINE_AFTER

from .conftest import Running, curl

MAC = "0004f2000555"


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"broken/{name}", text)
    return buf.getvalue()


BROKEN = {
    "info": "id = broken\nname = Crashes on every request\nversion = 1.0\nsequence = 1\n",
    "phone_types": 't1 1 "Nothing"\n',
    "providers/crash.php": "<?php\nthis_function_does_not_exist();\n",
}


@pytest.mark.parametrize("provider", [
    "<?php\nthis_function_does_not_exist();\n",  # fatal error
    "<?php\n$a = []; while (true) { $a[] = str_repeat('x', 1 << 20); }\n",  # memory
])
async def test_crashing_module_is_contained_then_quarantined(
        server: Running, caplog: pytest.LogCaptureFixture, provider: str) -> None:
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                                 headers={"Authorization": f"Bearer {token}"}) as api:
        r = await api.post("/modules", params={"allow_unsigned": "1"},
                           content=_zip({**BROKEN, "providers/crash.php": provider}))
        assert r.status_code == 201, r.text
        assert r.json()["signed"] is False
        server.svc.phone_add(MAC, "spa504g")
        with caplog.at_level(logging.ERROR, logger="provhost.chain"):
            for _ in range(QUARANTINE_AFTER + 1):
                status, body = await curl(server.url(f"/Cisco/SPA504G/{MAC}.cfg"))
                assert status == 200 and b"<flat-profile>" in body
        failures = [r.getMessage() for r in caplog.records
                    if "module broken, script providers/crash.php" in r.getMessage()]
        assert len(failures) == QUARANTINE_AFTER
        modules = {m["id"]: m for m in (await api.get("/modules")).json()}
        assert modules["broken"]["quarantined"].startswith(f"{QUARANTINE_AFTER} consecutive")
        # quarantined: no longer asked (no new failure), others still served
        caplog.clear()
        status, _ = await curl(server.url(f"/Cisco/SPA504G/{MAC}.cfg"))
        assert status == 200 and not caplog.records
        traces = (await api.get("/traces", params={"limit": 1})).json()
        # (yealink declares it never answers /Cisco/... paths, so it is not asked)
        assert [s["module"] for s in traces[0]["steps"]] == ["cisco-spa"]
        # the administrator re-enables it: asked again
        await api.post("/modules/broken/enable")
        await curl(server.url(f"/Cisco/SPA504G/{MAC}.cfg"))
        traces = (await api.get("/traces", params={"limit": 1})).json()
        assert traces[0]["steps"][0]["module"] == "broken"
        assert traces[0]["steps"][0]["decision"] == "error"


async def test_refused_send_file_counts_toward_quarantine(server: Running) -> None:
    """A provider that keeps trying to send files outside its module is a failing module,
    not a healthy one: it is quarantined like a crashing one."""
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                                 headers={"Authorization": f"Bearer {token}"}) as api:
        r = await api.post("/modules", params={"allow_unsigned": "1"}, content=_zip(
            {**BROKEN, "providers/crash.php": "<?php\nsendFile('/etc/shadow');\n"}))
        assert r.status_code == 201, r.text
        for i in range(QUARANTINE_AFTER):
            status, body = await curl(server.url(f"/secret{i}.txt"))
            assert status == 404 and b"root:" not in body
        modules = {m["id"]: m for m in (await api.get("/modules")).json()}
        assert modules["broken"]["quarantined"].startswith(f"{QUARANTINE_AFTER} consecutive")
        assert "/etc/shadow" in modules["broken"]["quarantined"]
