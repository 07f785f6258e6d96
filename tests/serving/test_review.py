"""Download configuration (REVIEW): the zip holds byte for byte what the phone fetches,
markers work through the replay, missing required files are named, and nothing about the
phone is recorded by the replay."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import trio
from provhost.compat import _engine
from provhost.paths import Paths
from provhost.review import (
    REVIEW_ADDRESSES,
    ReviewError,
    made_up_address,
    parse_review,
    review_phone,
)
from provhost.service import Service

from .conftest import Running, curl, tftp_get
from .test_api import _client

YEALINK = "001565c0ffee"
CLI = str(Path(__file__).parents[2] / ".venv/bin/provhost")


def test_parse_review_entries() -> None:
    entries = parse_review("?tftp:/a.cfg  !http:/b.cfg\n?!ftp:/c tftp:/d")
    assert [(e.proto, e.path, e.optional, e.not_expected) for e in entries] == [
        ("tftp", "/a.cfg", True, False), ("http", "/b.cfg", False, True),
        ("ftp", "/c", True, True), ("tftp", "/d", False, False)]
    for bad in ("tftp/a", "gopher:/x", "tftp:relative", "??tftp:/x"):
        with pytest.raises(ReviewError, match="expected"):
            parse_review(bad)


async def test_yealink_zip_matches_what_the_phone_fetches(server: Running,
                                                          tmp_path: Path) -> None:
    svc = server.svc
    svc.phone_add(YEALINK, "yealink_t46")
    svc.line_add("23", user="alice", phone=YEALINK)
    # the phone itself: common file (404, sets the marker), then its MAC file
    await tftp_get(server.ports.tftp, "/y000000000028.cfg", str(tmp_path / "common"))
    rc, msg = await tftp_get(server.ports.tftp, f"/{YEALINK}.cfg", str(tmp_path / "mac.cfg"))
    assert rc == 0, msg
    fetched = (tmp_path / "mac.cfg").read_bytes()
    before = svc.store.get_phone(YEALINK)
    async with _client(server) as api:
        r = await api.get(f"/phones/{YEALINK}/config")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert zf.namelist() == [f"{YEALINK}.cfg"]
        assert zf.read(f"{YEALINK}.cfg") == fetched
    after = svc.store.get_phone(YEALINK)
    assert (after.last_ip, after.last_config_at) == (before.last_ip, before.last_config_at)
    # the CLI gives the same files
    out = tmp_path / "cli.zip"
    await trio.run_process([CLI, "--data-dir", str(svc.paths.data_dir), "phone", "config",
                            YEALINK, "-o", str(out)], capture_stdout=True)
    with zipfile.ZipFile(out) as zf:
        assert zf.read(f"{YEALINK}.cfg") == fetched


async def test_polycom_zip_has_master_and_main(server: Running) -> None:
    mac = "0004f2c0ffee"
    server.svc.phone_add(mac, "spip550")
    server.svc.line_add("24", user="alice", phone=mac)
    status, master = await curl(server.url(f"/{mac}.cfg"))
    assert status == 200
    async with _client(server) as api:
        r = await api.get(f"/phones/{mac}/config")
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        names = zf.namelist()
        assert names[0] == f"{mac}.cfg" and zf.read(names[0]) == master
        main = next(n for n in names if n.endswith(f"-{mac}.cfg") and n != names[0])
        status, fetched = await curl(server.url(f"/{main}"))
        assert status == 200 and zf.read(main) == fetched


REVIEW_MODULE = {
    "info": "id = revtest\nname = Review test\nversion = 1.0\nsequence = 1\n",
    "phone_types": (
        'bad 1 "Bad review" REVIEW="tftp:/rev/exists.cfg tftp:/rev/missing.cfg"\n'
        'good 1 "Good review" REVIEW="!tftp:/rev/mark.cfg tftp:/rev/exists.cfg '
        '?tftp:/rev/optional.cfg http:/rev/exists.cfg"\n'
        'plain 1 "No marker" REVIEW="tftp:/rev/exists.cfg"\n'),
    "providers/p.php": """<?php
if ($PATH === '/rev/mark.cfg') { setMarker('seen', 'yes'); sendNotFound(); }
if ($PATH === '/rev/exists.cfg') { sendTemplate('t'); }
""",
    "templates/t.tpl": "proto={$PROTO} marker={$seen ?? 'none'}\n",
}


async def test_required_optional_and_marker_entries(server: Running) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in REVIEW_MODULE.items():
            zf.writestr(f"revtest/{name}", text)
    async with _client(server) as api:
        r = await api.post("/modules", params={"allow_unsigned": "1"}, content=buf.getvalue())
        assert r.status_code == 201, r.text
        server.svc.phone_add("020000000001", "bad", "revtest")
        server.svc.phone_add("020000000002", "good", "revtest")
        bad = await api.get("/phones/020000000001/config")
        assert bad.status_code == 422
        assert bad.json()["error"].startswith("tftp:/rev/missing.cfg: the chain answered notfound")
        good = await api.get("/phones/020000000002/config")
        assert good.status_code == 200, good.text
    with zipfile.ZipFile(io.BytesIO(good.content)) as zf:
        assert zf.namelist() == ["tftp/rev/exists.cfg", "http/rev/exists.cfg"]
        # the marker set by the first (not expected) entry is seen by the next ones
        assert zf.read("tftp/rev/exists.cfg") == b"proto=tftp marker=yes\n"
        assert zf.read("http/rev/exists.cfg") == b"proto=http marker=yes\n"


async def test_each_replay_sees_only_its_own_markers(paths: Paths, tmp_path: Path) -> None:
    """Markers left on the made-up addresses (by earlier replays or anything else) never
    reach a replay, and a replay leaves none behind: `module compat` replays dozens of
    types in a row, and a random pick among 254 addresses used to hand one type's markers
    (a Yealink hardware id) to the next type's replay, differently on each runtime."""
    source = tmp_path / "revtest"
    for name, text in REVIEW_MODULE.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text)
    svc = Service(paths)
    try:
        svc.module_install(source, allow_unsigned=True)
        svc.phone_add("020000000002", "good", "revtest")
        svc.phone_add("020000000003", "plain", "revtest")
        async with _engine(svc, "native") as prov:
            for address in REVIEW_ADDRESSES:  # every address a replay may get is dirty
                prov.markers.set(address, "seen", "stale")
            plain = await review_phone(prov, "020000000003")
            assert plain[0].data == b"proto=tftp marker=none\n"
            good = await review_phone(prov, "020000000002")
            assert good[1].data == b"proto=tftp marker=yes\n"
            assert not any(prov.markers.get(a).get("seen") == "yes" for a in REVIEW_ADDRESSES)
            # replays running at the same time never share an address
            with made_up_address(prov) as first, made_up_address(prov) as second:
                assert first != second
            assert not prov.review_clients
    finally:
        svc.close()
