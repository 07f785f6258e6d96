"""The bundled modules are clean for `provhost module check`, and every phone type's
REVIEW list matches what the chain really answers (the "Download configuration" replay)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from provhost.moduleformat.loader import check_module
from provhost.resync.runner import expand_type_options

from .conftest import BUNDLED, Chain

MODULES = ["cisco-spa", "cisco-sip", "yealink", "polycom"]
PROVHOST = Path(sys.executable).with_name("provhost")


@pytest.mark.parametrize("name", MODULES)
def test_module_check_finds_no_problem(name: str) -> None:
    assert [str(p) for p in check_module(BUNDLED / name)] == []
    cli = subprocess.run([str(PROVHOST), "module", "check", str(BUNDLED / name)],
                         capture_output=True, text=True, check=False)
    assert cli.returncode == 0 and "no problems found" in cli.stdout, cli.stdout + cli.stderr


def test_versions_were_bumped_for_the_new_features() -> None:
    """An installation upgrading provhost must see these modules as newer."""
    versions = {}
    for name in MODULES:
        for line in (BUNDLED / name / "info").read_text().splitlines():
            if line.startswith("version"):
                versions[name] = line.split("=", 1)[1].strip()
    assert versions == {"cisco-spa": "1.2.0", "cisco-sip": "1.0.0", "yealink": "1.2.0",
                        "polycom": "1.3.0"}


async def test_every_review_entry_is_answered_as_it_says(chain: Chain) -> None:
    """Replay each type's REVIEW from its own made-up address, in order, like the
    Download-configuration feature: plain entries are served by the type's module, `!`
    entries are not served, `?` entries are either served by the module or missing."""
    mac_counter = 0
    checked = 0
    for name in MODULES:
        am = chain.engine.get(name)
        assert am is not None, name
        for ptype in am.entry.module.phone_types:
            mac_counter += 1
            mac = f"0a0b0c{mac_counter:06x}"
            options = await expand_type_options(am, ptype, mac)
            review = options["REVIEW"]
            # (Cisco SIP file names carry the MAC in upper case: cisco-sip 1.0.0)
            assert "{" not in review and mac in review.lower(), (ptype.ident, review)
            ip = f"192.0.2.{mac_counter}"
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
            # family=: a model only its HTTP User-Agent tells apart (the replay sends none)
            # gets its family's type from what it fetches over TFTP (yealink 1.2.0)
            wanted = {ptype.ident, options.get("family", ptype.ident)}
            assert phone is not None and phone.phone_type in wanted, ptype.ident
    assert checked > 80
