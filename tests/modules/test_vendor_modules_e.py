"""The bundled modules of the second vendor batch (AudioCodes, VTech, Obihai, Patton,
Zenitel, Flyingvoice, Akuvox, Escene): clean for `provhost module check`, every phone
type's REVIEW answered as it says (the Download-configuration replay), and identical
output on both sandbox runtimes (`provhost module compat`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import trio
from provhost.moduleformat.loader import check_module
from provhost.paths import SOURCE_ROOT
from provhost.resync.runner import expand_type_options

from .conftest import BUNDLED, Chain, Running, curl

MODULES = ["audiocodes", "vtech", "obihai", "patton", "zenitel", "flyingvoice", "akuvox",
           "escene"]
CLI = str(SOURCE_ROOT / ".venv/bin/provhost")


@pytest.mark.parametrize("name", MODULES)
def test_module_check_finds_no_problem(name: str) -> None:
    assert [str(p) for p in check_module(BUNDLED / name)] == []


async def test_every_review_entry_is_answered_as_it_says(chain: Chain) -> None:
    """Each type's REVIEW from its own made-up address: plain entries served by the
    type's module, `!` entries not served, `?` entries served by it or missing; the
    phone ends up with that type."""
    checked = 0
    for m, name in enumerate(MODULES):
        am = chain.engine.get(name)
        assert am is not None, name
        for n, ptype in enumerate(am.entry.module.phone_types):
            mac = f"0a0e{m:02x}{n:06x}"
            review = (await expand_type_options(am, ptype, mac))["REVIEW"]
            assert "{" not in review, (ptype.ident, review)
            ip = f"198.51.{m}.{n + 1}"
            for entry in review.split():
                optional, missing = entry.startswith("?"), entry.lstrip("?").startswith("!")
                proto, path = entry.lstrip("?!").split(":", 1)
                answer = await chain.get(path, ip=ip, proto=proto)
                where = f"{ptype.ident}: {entry} -> {answer.status} by {answer.module}"
                if missing:
                    assert answer.status != "served", where
                elif optional:
                    assert answer.status != "served" or answer.module == name, where
                else:
                    assert (answer.status, answer.module) == ("served", name), where
                checked += 1
            phone = chain.svc.store.get_phone(mac)
            assert phone is not None and phone.phone_type == ptype.ident, ptype.ident
    assert checked > 60


async def test_identical_on_both_runtimes(tmp_path: Path) -> None:
    for name in MODULES:
        done = await trio.run_process(
            [CLI, "--data-dir", str(tmp_path / name), "--json", "module", "compat",
             str(BUNDLED / name), "-o", str(tmp_path / f"{name}.out")],
            capture_stdout=True, capture_stderr=True, check=False)
        assert done.returncode == 0, (name, done.stderr.decode()[-2000:])
        rows = json.loads(done.stdout)
        served = [r for r in rows if r["native"].startswith("served")]
        assert served and all(r["identical"] for r in rows), name
        assert {p.name for p in (tmp_path / f"{name}.out").iterdir()} == {"native", "wasm"}


# (first fetch path, User-Agent, regex capturing provisioning user and password)
CREDENTIALS = [
    ("/00908f000c02.cfg", "AUDC-IPPhone/2.2.16.704 (420HD-Rev1; 00908F000C02)",
     rb"provisioning/configuration/url=http://([^:@/]+):([^@/]+)@"),
    ("/0021f2000c03.cfg", "Flyingvoice FIP13G V0.6.24 00:21:F2:00:0C:03",
     rb"server\.username = (\S+)\nstatic\.auto_provision\.server\.password = (\S+)\n"),
    ("/prov/obihai/OBi202/9cadef000c04.xml", "OBIHAI/OBi202-3.2.2.5921",
     rb"<Name>Username</Name><Value>([^<]+)</Value>.*?<Name>Password</Name><Value>([^<]+)<"),
    ("/00268b000c05.xml", "Escene ES320 V2.0", rb'username="([^"]+)" password="([^"]+)"'),
]


async def test_provisioning_credentials_reach_the_phone(server: Running) -> None:
    """PROVISION_AUTH=new: each vendor's first file carries the phone's provisioning user
    and password where the phone takes them, and from then on the file needs HTTP digest
    with exactly those (real curl --digest)."""
    server.svc.setting_set("PROVISION_AUTH", "new")
    for n, (path, agent, pattern) in enumerate(CREDENTIALS):
        ip = ["--interface", f"127.0.0.{140 + n}", "-A", agent]
        status, body = await curl(*ip, server.url(path))
        assert status == 200, (path, body)
        found = re.search(pattern, body, re.S)
        assert found, (path, body.decode())
        user, password = (unquote(g.decode()) for g in found.groups())
        status, _ = await curl(*ip, server.url(path))
        assert status == 401, path
        status, again = await curl(*ip, "--digest", "-u", f"{user}:{password}", server.url(path))
        assert status == 200 and again, path
