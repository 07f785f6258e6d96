"""The Panasonic, Gigaset and Fanvil modules are clean for `provhost module check`, and
`provhost module compat` replays every phone type's REVIEW (and a few extra requests) on
both runtimes with identical results: every non-optional entry served, `!` entries not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trio
from provhost.chain.provisioner import ProvisioningRequest
from provhost.paths import SOURCE_ROOT

from .conftest import Chain

CLI = str(SOURCE_ROOT / ".venv/bin/provhost")
# compat registers one phone per type, MAC 0200<n:08x> for the n-th type: the extra
# requests name those phones (a review never creates one)
EXTRA = {"panasonic": ["tftp:/KX-UT133.cfg", "tftp:/panasonic/KX-UT133/readme.txt"],
         "gigaset": ["http:/gigaset/n870/020000000004.xml", "http:/020000000004.xml"],
         "fanvil": ["tftp:/F0V00X600000.cfg", "tftp:/fanvil/x6/020000000008.cfg"]}
# the shared Gigaset name without a Gigaset User-Agent (a review sends none) is not ours
EXPECTED_EXTRA = {"panasonic": ["served", "notfound"], "gigaset": ["served", "notfound"],
                  "fanvil": ["notfound", "served"]}


@pytest.mark.parametrize("module", sorted(EXTRA))
async def test_check_and_compat(tmp_path: Path, module: str) -> None:
    source = SOURCE_ROOT / "modules" / module
    check = await trio.run_process([CLI, "module", "check", str(source)], capture_stdout=True,
                                   capture_stderr=True, check=False)
    assert check.returncode == 0 and b"no problems found" in check.stdout, check.stdout
    args = [CLI, "--data-dir", str(tmp_path / "dd"), "--json", "module", "compat", str(source),
            "-o", str(tmp_path / "o")]
    for request in EXTRA[module]:
        args += ["--request", request]
    done = await trio.run_process(args, capture_stdout=True, capture_stderr=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    rows = json.loads(done.stdout)
    assert all(r["identical"] for r in rows), [r for r in rows if not r["identical"]]
    review = [r for r in rows if r["type"] != "(requests)"]
    assert len({r["type"] for r in review}) >= 5
    for r in review:
        entry = r["entry"]
        if entry.lstrip("?").startswith("!"):
            assert not r["native"].startswith("served"), r
        elif not entry.startswith("?"):
            assert r["native"].startswith("served"), r
    extra = [r["native"].split()[0] for r in rows if r["type"] == "(requests)"]
    assert extra == EXPECTED_EXTRA[module]


@pytest.mark.parametrize(("proto", "path", "agent", "asked", "status"), [
    ("tftp", "/KX-UT136.cfg", "", ["panasonic"], "served"),
    ("tftp", "/panasonic/KX-UT136/Config0080F0000001.cfg", "", ["panasonic"], "served"),
    ("http", "/gigaset/n870/7C2F80000001.xml", "", ["gigaset"], "served"),
    ("tftp", "/f0X4Uhw1.100.cfg", "", ["fanvil"], "notfound"),
    ("http", "/fanvil/x4u/0c383e000001.cfg", "", ["fanvil"], "served"),
    # shared names (other modules may declare them too: checked as a subsequence)
    ("http", "/7C2F80000002.xml", "Gigaset N870 IP PRO/2.48.1", ["gigaset"], "served"),
    ("tftp", "/0004f2000003.cfg", "", ["fanvil", "polycom"], "served"),
])
async def test_one_round_trip_for_vendor_names(chain: Chain, proto: str, path: str, agent: str,
                                               asked: list[str], status: str) -> None:
    """Declared `paths`: a vendor-specific name is offered to its module only; a shared one
    to the modules that declare it, in chain order, the last of ours answering."""
    headers = {"user-agent": agent} if agent else {}
    answer, trace = await chain.prov.provision(
        ProvisioningRequest(proto, path, "192.0.2.77", headers=headers))
    modules = [s.module for s in trace.steps]
    if path.startswith(("/KX-", "/panasonic/", "/gigaset/", "/fanvil/")):
        assert modules == asked, trace.steps  # a vendor name: exactly one round trip
    else:
        # a shared name, or one another module's pattern happens to match (digium's
        # /????????????.cfg matches /f0X4Uhw1.100.cfg): our modules once each, in order
        assert [m for m in modules if m in asked] == asked, trace.steps
    assert (answer.status, answer.module) == (status, asked[-1])
