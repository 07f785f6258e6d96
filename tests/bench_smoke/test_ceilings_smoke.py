"""bench/ceilings.py runs end to end: every row measured, on the runtime it names.

Asserts that the benchmark works, never a speed (speed belongs to bench/ only).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ceilings_measures_every_row_on_its_runtime(tmp_path: Path) -> None:
    out = tmp_path / "ceilings.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ceilings.py"), "--seconds", "0.5",
         "--rounds", "1", "--warmup", "0.2", "--concurrency", "4", "--out", str(out)],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    rows = json.loads(out.read_text())["rows"]
    assert [(r["protocol"], r["setup"]) for r in rows] == [
        (proto, setup) for proto in ("http", "tftp")
        for setup in ("ceiling", "unsandboxed", "native", "wasm")]
    for r in rows:
        assert r["rps"] > 0 and r["requests"] > 0, r
        assert r["ratio"] > 0, r
        if r["setup"] != "ceiling":
            assert r["workers"].get(r["setup"], 0) > 0, r  # really ran on that runtime
    assert "SPA config, wasm runtime" in run.stdout  # the table was printed
