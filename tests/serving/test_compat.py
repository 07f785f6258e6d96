"""`provhost module compat`: bundled modules produce identical files on both runtimes; a
module whose output depends on the runtime (integer width) is reported, exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trio
from provhost.paths import SOURCE_ROOT

CLI = str(SOURCE_ROOT / ".venv/bin/provhost")


async def _compat(tmp_path: Path, source: Path, *extra: str) -> trio.CompletedProcess:
    return await trio.run_process(
        [CLI, "--data-dir", str(tmp_path / "dd"), "--json", "module", "compat", str(source),
         *extra], capture_stdout=True, capture_stderr=True, check=False)


@pytest.mark.parametrize("module", ["cisco-spa", "cisco-sip", "yealink", "polycom"])
async def test_bundled_module_is_identical_on_both_runtimes(tmp_path: Path, module: str
                                                            ) -> None:
    done = await _compat(tmp_path, SOURCE_ROOT / "modules" / module, "-o",
                         str(tmp_path / "o"), "--request", "tftp:/spa504G.cfg",
                         "--request", "http:/no/such/file")
    assert done.returncode == 0, done.stderr.decode()
    rows = json.loads(done.stdout)
    served = [r for r in rows if r["native"].startswith("served")]
    assert served and all(r["identical"] for r in rows)
    extra = [r for r in rows if r["type"] == "(requests)"]
    assert [r["entry"] for r in extra] == ["tftp:/spa504G.cfg", "http:/no/such/file"]
    assert extra[1]["native"] == "notfound"
    # every file written (cisco-sip serves .cnf and .cnf.xml, not .cfg)
    files = sorted(p.relative_to(tmp_path / "o") for p in (tmp_path / "o").rglob("*")
                   if p.is_file() and p.suffix in (".cfg", ".cnf", ".xml"))
    assert files and {f.parts[0] for f in files} == {"native", "wasm"}


async def test_runtime_dependent_output_is_reported(tmp_path: Path) -> None:
    module = tmp_path / "intwidth"
    (module / "providers").mkdir(parents=True)
    (module / "templates").mkdir()
    (module / "info").write_text("id = intwidth\nname = Int width\nversion = 1.0\n")
    (module / "phone_types").write_text('w 1 "W" REVIEW="tftp:/w.cfg"\n')
    (module / "providers/p.php").write_text("<?php\nif ($PATH === '/w.cfg') sendTemplate('w');\n")
    (module / "templates/w.tpl").write_text("@$w = PHP_INT_SIZE;\nint_size={$w}\n")
    done = await _compat(tmp_path, module)
    assert done.returncode == 1
    (row,) = json.loads(done.stdout)
    assert row["identical"] is False and row["entry"] == "tftp:/w.cfg"
    files = await _compat(tmp_path, module, "--runtime", "native")
    assert files.returncode == 0
