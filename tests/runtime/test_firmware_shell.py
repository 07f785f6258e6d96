"""Bash firmware preprocessing in its own sandbox, with the real netpbm tools."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import trio
from provhost.runtime.interface import Action, ScriptCall, ScriptKind

from .conftest import ModuleDir

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
    call = ScriptCall(ScriptKind.FIRMWARE, "firmware/logo.sh", {
        "FW_INFILE": str(upload), "FW_OUTDIR": str(out_dir), "FW_VERIFY": 1,
        "FW_IDENT": "logo_bw"})
    out = await runtime.run_once(module.image, call)
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
    call = ScriptCall(ScriptKind.FIRMWARE, "firmware/logo.sh", {
        "FW_INFILE": str(bogus), "FW_OUTDIR": str(out_dir), "FW_VERIFY": 1,
        "FW_IDENT": "logo_bw"})
    out = await runtime.run_once(module.image, call)
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
    call = ScriptCall(ScriptKind.FIRMWARE, "firmware/net.sh", {
        "FW_INFILE": str(upload), "FW_OUTDIR": str(out_dir)})
    out = await runtime.run_once(module.image, call)
    assert out.action is Action.ERROR and "without accept_firmware" in out.error
    assert list(out_dir.iterdir()) == []


def _call(script: str, infile: Path, out_dir: Path, **extra: object) -> ScriptCall:
    return ScriptCall(ScriptKind.FIRMWARE, script, {
        "FW_INFILE": str(infile), "FW_OUTDIR": str(out_dir), "FW_VERIFY": 1,
        "FW_IDENT": "logo_bw", **extra}, timeout=20.0)


PHP_SCRIPT = """<?php
// the seed's variables, exec of the image tools, the _tmp directory, accept/reject
if (!is_dir("$FW_OUTDIR/_tmp")) { rejectFirmware('no _tmp'); }
exec("anytoppm " . escapeshellarg($FW_INFILE) . " _tmp/logo.ppm 2>/dev/null", $o, $status);
if ($status !== 0) { rejectFirmware("not an image ($FW_IDENT)"); }
exec('pnmscale -width 16 -height 8 < _tmp/logo.ppm | ppmtobmp > logo.bmp', $o, $status);
file_put_contents('vars.txt', "$FW_IDENT $FW_VERIFY " . gettype($FW_VERIFY) . ' ' . getcwd());
$status === 0 ? acceptFirmware() : rejectFirmware('conversion failed');
"""


async def test_php_script_runs_tools_and_accepts(runtime, module: ModuleDir, upload,
                                                 tmp_path: Path):
    module.write("firmware/logo.php", PHP_SCRIPT)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = await runtime.run_once(module.image, _call("firmware/logo.php", upload, out_dir))
    assert out.action is Action.ACCEPT, (out.error, out.log)
    assert (out_dir / "logo.bmp").read_bytes()[:2] == b"BM"
    assert (out_dir / "vars.txt").read_text() == "logo_bw 1 integer /fw/out"
    assert not (out_dir / "_tmp").exists()


async def test_php_script_rejects_with_its_reason(runtime, module: ModuleDir, tmp_path: Path):
    module.write("firmware/logo.php", PHP_SCRIPT)
    bogus = tmp_path / "upload.txt"
    bogus.write_text("plain text")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = await runtime.run_once(module.image, _call("firmware/logo.php", bogus, out_dir))
    assert (out.action, out.error) == (Action.REJECT, "not an image (logo_bw)")
    assert list(out_dir.iterdir()) == []


async def test_php_script_crash_is_an_error_and_cleans(runtime, module: ModuleDir, upload,
                                                      tmp_path: Path):
    module.write("firmware/bad.php", """<?php
        file_put_contents('half.bin', 'x');
        undefined_function_call();
    """)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = await runtime.run_once(module.image, _call("firmware/bad.php", upload, out_dir))
    assert out.action is Action.ERROR
    assert any("undefined_function_call" in line for line in out.log), out.log
    assert list(out_dir.iterdir()) == []


async def test_php_script_has_no_network_and_cannot_touch_its_module(
        runtime, module: ModuleDir, upload, tmp_path: Path):
    module.write("firmware/evil.php", """<?php
        $r = [];
        $r[] = @fsockopen('127.0.0.1', 22, $e, $s, 1) ? 'net' : 'nonet';
        $r[] = @file_put_contents('/module/firmware/evil.php', 'x') ? 'wrote' : 'ro';
        $r[] = @file_get_contents('/etc/passwd') === false ? 'noetc' : 'etc';
        $r[] = trim((string)shell_exec('id -u'));
        file_put_contents('r.txt', implode(' ', $r));
        acceptFirmware();
    """)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = await runtime.run_once(module.image, _call("firmware/evil.php", upload, out_dir))
    assert out.action is Action.ACCEPT, (out.error, out.log)
    net, module_write, etc, uid = (out_dir / "r.txt").read_text().split()
    assert (net, module_write, etc) == ("nonet", "ro", "noetc")
    assert uid != "0"  # runs as an unprivileged user inside the sandbox
    assert "<?php" in (module.files / "firmware/evil.php").read_text()


async def test_fork_bomb_in_firmware_script_is_contained(runtime, module: ModuleDir, upload,
                                                         tmp_path: Path):
    module.write("firmware/bomb.sh", """
        bomb() { bomb | bomb & }; bomb 2>/dev/null
        sleep 1
        reject_firmware "survived"
    """)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = await runtime.run_once(module.image, _call("firmware/bomb.sh", upload, out_dir))
    # the process limit stops the bomb; the deadline or the script's own end finishes the call
    assert out.action in (Action.REJECT, Action.ERROR)
    # and nothing of it outlives the call: the PID namespace takes every process down
    with trio.move_on_after(10):
        while _sandbox_user_processes():
            await trio.sleep(0.05)
    assert _sandbox_user_processes() == []


def _sandbox_user_processes() -> list[str]:
    ps = subprocess.run(["ps", "-eo", "user=,stat=,comm="], capture_output=True,
                        text=True).stdout
    return [line for line in ps.splitlines() if line.split()[0] == "nobody"]


async def test_firmware_script_must_be_sh_or_php(runtime, module: ModuleDir, upload,
                                                tmp_path: Path):
    module.write("firmware/x.py", "print(1)")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = await runtime.run_once(module.image, _call("firmware/x.py", upload, out_dir))
    assert out.action is Action.ERROR and ".sh or .php" in out.error
