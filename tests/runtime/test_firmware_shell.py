"""Bash firmware preprocessing in its own sandbox, with the real netpbm tools."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from provhost.runtime.interface import Action, ScriptCall, ScriptKind

from .conftest import ModuleDir, RecordingBroker

SCRIPT = """
anytoppm "$FW_INFILE" _tmp/logo.ppm || reject_firmware "not an image"
case $FW_IDENT in
  logo_bw) pnmscale -width 16 -height 8 < _tmp/logo.ppm | ppmtobmp > logo.bmp ;;
esac
ls / > _tmp/root.txt; cp _tmp/root.txt seen_root.txt
accept_firmware
"""


@pytest.fixture
def upload(tmp_path: Path) -> Path:
    ppm = subprocess.run(["ppmmake", "red", "32", "16"], capture_output=True, check=True).stdout
    path = tmp_path / "upload.ppm"
    path.write_bytes(ppm)
    return path


async def test_accepting_script_converts_with_netpbm(runtime, module: ModuleDir, upload,
                                                     tmp_path: Path):
    module.write("firmware/logo.sh", SCRIPT)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    pool = await runtime.open_pool(module.image)
    call = ScriptCall(ScriptKind.FIRMWARE, "firmware/logo.sh", {
        "FW_INFILE": str(upload), "FW_OUTDIR": str(out_dir), "FW_VERIFY": 1,
        "FW_IDENT": "logo_bw"})
    out = await pool.run(call, RecordingBroker())
    assert out.action is Action.ACCEPT, (out.error, out.log)
    assert (out_dir / "logo.bmp").read_bytes()[:2] == b"BM"
    assert not (out_dir / "_tmp").exists()
    assert "proc" not in (out_dir / "seen_root.txt").read_text().split()


async def test_rejecting_script_leaves_nothing(runtime, module: ModuleDir, tmp_path: Path):
    module.write("firmware/logo.sh", SCRIPT)
    bogus = tmp_path / "upload.txt"
    bogus.write_text("this is not an image")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    pool = await runtime.open_pool(module.image)
    call = ScriptCall(ScriptKind.FIRMWARE, "firmware/logo.sh", {
        "FW_INFILE": str(bogus), "FW_OUTDIR": str(out_dir), "FW_VERIFY": 1,
        "FW_IDENT": "logo_bw"})
    out = await pool.run(call, RecordingBroker())
    assert (out.action, out.error) == (Action.REJECT, "not an image")
    assert list(out_dir.iterdir()) == []


async def test_shell_script_has_no_network_and_no_decision_is_an_error(
        runtime, module: ModuleDir, upload, tmp_path: Path):
    module.write("firmware/net.sh", """
        (exec 3<>/dev/tcp/127.0.0.1/22) 2>/dev/null && echo connected > net.txt
        echo done > marker.txt
    """)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    pool = await runtime.open_pool(module.image)
    call = ScriptCall(ScriptKind.FIRMWARE, "firmware/net.sh", {
        "FW_INFILE": str(upload), "FW_OUTDIR": str(out_dir)})
    out = await pool.run(call, RecordingBroker())
    assert out.action is Action.ERROR and "without accept_firmware" in out.error
    assert list(out_dir.iterdir()) == []
