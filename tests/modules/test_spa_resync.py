"""resync/spa.php against a loopback HTTP server posing as the SPA's web server: it asks
for /admin/resync as admin with the password the phone last read ($LAST_CONFIG), by
whichever scheme (basic or digest) the phone challenges with."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio
from provhost.chain.answer import Served
from provhost.paths import Paths
from provhost.resync.runner import expand_type_options, resync_phone

from ..serving.test_resync import FakePhone, _start_phone
from .conftest import BUNDLED, Chain, open_chain

MAC = "0004f2a0b0c0"


async def _chain_with_phone_port(tmp_path: Path, port: int) -> AsyncIterator[Chain]:
    """The bundled modules, with the SPA's web_port pointing at the fake phone."""
    bundled = tmp_path / "bundled"
    shutil.copytree(BUNDLED, bundled)
    types = bundled / "cisco-spa" / "phone_types"
    text = types.read_text()
    assert " web_port=80" in text
    types.write_text(text.replace(" web_port=80", f" web_port={port}"))
    paths = Paths(data_dir=tmp_path / "data", bundled_dir=bundled)
    paths.ensure()
    async for chain in open_chain(paths):
        yield chain


@pytest.mark.parametrize("scheme", ["basic", "digest"])
async def test_spa_resync_uses_the_password_the_phone_last_read(
        tmp_path: Path, nursery: trio.Nursery, scheme: str) -> None:
    phone = FakePhone(scheme, password="")
    port = await _start_phone(nursery, phone)
    async for chain in _chain_with_phone_port(tmp_path, port):
        chain.svc.phone_add(MAC, "spa504g")
        answer = await chain.get(f"/Cisco/SPA504G/{MAC}.cfg", ip="127.0.0.1")
        assert isinstance(answer, Served) and answer.body is not None
        old = chain.svc.phone_show(MAC)["admin_password"]
        assert f"<Web_Server_Port ua=\"na\">{port}</Web_Server_Port>".encode() in answer.body
        assert f"<Admin_Passwd ua=\"na\">{old}</Admin_Passwd>".encode() in answer.body
        # the administrator changes the password; the phone still knows only the old one
        chain.svc.phone_set_password(MAC, "brand-new-password")
        phone.password = old
        result = await resync_phone(chain.engine, MAC)
        assert (result.method, result.ok) == ("spa", True), result
        assert result.detail.startswith(f"resync requested from spa504g {MAC}")
        assert ("GET", "/admin/resync", True) in phone.seen
        assert result.actions == [f"GET http://127.0.0.1:{port}/admin/resync"]
        # and with the new password the phone would have refused: it is not what was sent
        phone.password, phone.seen = "brand-new-password", []
        await resync_phone(chain.engine, MAC)
        assert ("GET", "/admin/resync", True) not in phone.seen


async def test_factory_phone_is_asked_without_credentials(tmp_path: Path,
                                                          nursery: trio.Nursery) -> None:
    """A phone seen (it asked for its factory file) but never given a profile by us has
    no admin password from us yet: no Authorization header is invented."""
    phone = FakePhone("basic", password="whatever")
    port = await _start_phone(nursery, phone)
    async for chain in _chain_with_phone_port(tmp_path, port):
        chain.svc.phone_add(MAC, "spa502g")
        chain.svc.store.touch_phone(MAC, "127.0.0.1", "spa502g", "cisco-spa")
        result = await resync_phone(chain.engine, MAC)
        assert (result.method, result.ok) == ("spa", True), result
        assert phone.seen == [("GET", "/admin/resync", False)]


async def test_linksys_and_generic_types_keep_sip_notify(chain: Chain) -> None:
    """Only the Cisco models use the web resync; the method is read from the expanded
    phone_types options, as the resync runner reads it (no NOTIFY is sent here)."""
    am = chain.engine.get("cisco-spa")
    assert am is not None
    methods = {}
    for ptype in am.entry.module.phone_types:
        options = await expand_type_options(am, ptype, MAC)
        methods[ptype.ident] = (options["RESYNC"], options.get("SIPNOTIFY_auth"))
    web = ("spa", None)
    notify = ("SIPNOTIFY", "none")
    # cisco-spa 1.2.0: the SPA51x, the ATAs and the multiplatform (3PCC) phones and ATAs;
    # the multiplatform ones answer the NOTIFY's challenge with the line (auto)
    mpp = ("SIPNOTIFY", "auto")
    assert methods == {
        "spa301": web, "spa303": web, "spa501g": web, "spa502g": web, "spa504g": web,
        "spa508g": web, "spa509g": web, "spa525g": web,
        "spa921": notify, "spa922": notify, "spa941": notify, "spa942": notify,
        "spa962": notify, "spa512g": notify, "spa514g": notify,
        "pap2t": notify, "spa112": notify, "spa122": notify, "spa2102": notify,
        "spa3102": notify, "spa8000": notify,
        **{t: mpp for t in ("cp6821", "cp6841", "cp6851", "cp6861", "cp6871", "cp7811",
                            "cp7821", "cp7832", "cp7841", "cp7861", "cp8811", "cp8832",
                            "cp8841", "cp8845", "cp8851", "cp8861", "cp8865", "ata191",
                            "ata192", "cisco_mpp_generic")},
        "spa_generic": notify}
