"""`provhost module compat` on the Htek, Technicolor, Alcatel-Lucent, Avaya and
Digium/Sangoma modules: every REVIEW file is answered, identically on both runtimes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trio
from provhost.paths import SOURCE_ROOT

CLI = str(SOURCE_ROOT / ".venv/bin/provhost")


@pytest.mark.parametrize("module", ["htek", "thomson", "ale-sip", "alcatel-iptouch", "avaya",
                                    "avaya-1200", "digium"])
async def test_module_is_identical_on_both_runtimes(tmp_path: Path, module: str) -> None:
    done = await trio.run_process(
        [CLI, "--data-dir", str(tmp_path / "dd"), "--json", "module", "compat",
         str(SOURCE_ROOT / "modules" / module)],
        capture_stdout=True, capture_stderr=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    rows = json.loads(done.stdout)
    assert any(r["native"].startswith("served") for r in rows)
    assert all(r["identical"] for r in rows), rows
    assert all(r["native"].split()[0] in ("served", "notfound") for r in rows), rows
