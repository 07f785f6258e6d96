"""Modules that declare their paths (info `paths`) are only offered those; the others are
offered everything, and the chain order is unchanged."""

from __future__ import annotations

import io
import zipfile

import httpx

from .conftest import Running, curl

ECHO = """<?php
// answers with the path it was asked, for any path under its declaration
if (strncmp($PATH, '/probe/', 7) === 0) { sendTemplate('t'); }
passNext();
"""


def _zip(module_id: str, info_extra: str) -> bytes:
    files = {
        "info": f"id = {module_id}\nname = Probe\nversion = 1.0\nsequence = 1\n{info_extra}",
        "phone_types": 't1 1 "Nothing"\n',
        "providers/p.php": ECHO,
        "templates/t.tpl": "probe {$MODULE_ID} {$PATH}\n",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"{module_id}/{name}", text)
    return buf.getvalue()


async def test_only_declared_paths_reach_a_module(server: Running) -> None:
    token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                                 headers={"Authorization": f"Bearer {token}"}) as api:
        for mid, extra in (("narrow", "paths = /probe/narrow/*  /PROBE/both/*\n"),
                           ("wide", "")):
            r = await api.post("/modules", params={"allow_unsigned": "1"},
                               content=_zip(mid, extra))
            assert r.status_code == 201, r.text

        async def steps(path: str) -> tuple[int, bytes, list[str]]:
            status, body = await curl(server.url(path))
            trace = (await api.get("/traces", params={"limit": 1})).json()[0]
            return status, body, [s["module"] for s in trace["steps"]]

        # inside the declaration (case-insensitive): asked first ("narrow" < "wide")
        assert await steps("/probe/both/x") == (200, b"probe narrow /probe/both/x\n",
                                                ["narrow"])
        # outside it: never asked; the undeclared module still is
        assert await steps("/probe/wide/x") == (200, b"probe wide /probe/wide/x\n", ["wide"])
        status, _, asked = await steps("/nothing/here.cfg")
        assert status == 404 and "narrow" not in asked and "wide" in asked
