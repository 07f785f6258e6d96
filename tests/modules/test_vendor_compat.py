"""`provhost module compat` for the Grandstream, Snom and Aastra modules: every REVIEW
file, and the requests a phone of the family makes first, come out byte-identical from
the native and the WebAssembly runtime."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trio
from provhost.paths import SOURCE_ROOT

CLI = str(SOURCE_ROOT / ".venv/bin/provhost")

FIRST_REQUESTS = {
    "grandstream": ["tftp:/cfg000b82000001", "tftp:/cfggxp2170.xml", "tftp:/cfg.xml"],
    "snom": ["http:/snomD765.htm", "tftp:/snomM700.htm"],
    "aastra": ["tftp:/aastra.cfg", "tftp:/6731i.cfg", "tftp:/MN_Generic.cfg"],
}


@pytest.mark.parametrize("module", sorted(FIRST_REQUESTS))
async def test_identical_on_both_runtimes(tmp_path: Path, module: str) -> None:
    requests = [arg for r in FIRST_REQUESTS[module] for arg in ("--request", r)]
    done = await trio.run_process(
        [CLI, "--data-dir", str(tmp_path / "dd"), "--json", "module", "compat",
         str(SOURCE_ROOT / "modules" / module), "-o", str(tmp_path / "o"), *requests],
        capture_stdout=True, capture_stderr=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    rows = json.loads(done.stdout)
    assert rows and all(r["identical"] for r in rows), [r for r in rows if not r["identical"]]
    types = {r["type"] for r in rows} - {"(requests)"}
    served = {p.parent.name for p in (tmp_path / "o" / "wasm").rglob("*") if p.is_file()}
    assert types <= served  # every phone type produced its files on the wasm runtime too
    extra = [r["entry"] for r in rows if r["type"] == "(requests)"]
    assert extra == FIRST_REQUESTS[module]
