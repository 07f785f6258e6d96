"""The SPA module's preprocessing scripts in the real firmware sandbox (bwrap, netpbm):
any picture becomes the exact BMP its slot needs, and the firmware check rejects what is
not an SPA 30x/50x image unless the administrator overrides it (FW_VERIFY=0)."""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from provhost.runtime.interface import Action, ModuleImage, ScriptCall, ScriptKind, ScriptOutcome
from provhost.runtime.native import NativeConfig, NativeRuntime

from .conftest import BUNDLED, Bmp, png_size, write_ppm

WHITE, BLACK, RED = (255, 255, 255), (0, 0, 0), (200, 0, 0)


class Slots:
    """Runs cisco-spa's firmware/*.sh the way the host does for an upload."""

    def __init__(self, runtime: NativeRuntime, tmp: Path) -> None:
        self.runtime, self.tmp, self.runs = runtime, tmp, 0
        for d in ("compiled", "firmware"):
            (tmp / d).mkdir()
        self.image = ModuleImage("cisco-spa", "1.1.0", BUNDLED / "cisco-spa",
                                 tmp / "compiled", tmp / "firmware")

    async def upload(self, script: str, slot: str, infile: Path, verify: int = 1,
                     ) -> tuple[ScriptOutcome, Path]:
        self.runs += 1
        out = self.tmp / f"out{self.runs}"
        out.mkdir()
        call = ScriptCall(ScriptKind.FIRMWARE, f"firmware/{script}", {
            "FW_INFILE": str(infile), "FW_OUTDIR": str(out), "FW_VERIFY": verify,
            "FW_IDENT": slot}, timeout=30.0)
        return await self.runtime.run_once(self.image, call), out


@pytest.fixture
async def slots(tmp_path: Path) -> AsyncIterator[Slots]:
    os.chmod(tmp_path, 0o755)  # the sandbox runs as nobody
    async with NativeRuntime(NativeConfig(workers_per_pool=1)) as runtime:
        yield Slots(runtime, tmp_path)


def _convert(ppm: Path, tool: list[str], suffix: str) -> Path:
    out = ppm.with_suffix(suffix)
    out.write_bytes(subprocess.run([*tool, str(ppm)], capture_output=True, check=True).stdout)
    return out


def _half_white_half_black(tmp: Path, suffix: str, tool: list[str]) -> Path:
    """256x96 (the 128x48 aspect): white left half, black right half."""
    ppm = write_ppm(tmp / "halves.ppm", 256, 96, lambda x, y: WHITE if x < 128 else BLACK)
    return _convert(ppm, tool, suffix)


@pytest.mark.parametrize(("suffix", "tool"), [(".png", ["pnmtopng"]),
                                              (".jpg", ["pnmtojpeg", "-quality=95"])])
async def test_logo_bw_from_png_and_jpeg_is_a_128x48_1bit_bmp(
        slots: Slots, tmp_path: Path, suffix: str, tool: list[str]) -> None:
    upload = _half_white_half_black(tmp_path, suffix, tool)
    outcome, out = await slots.upload("logo.sh", "logo_bw", upload)
    assert outcome.action is Action.ACCEPT, (outcome.error, outcome.log)
    assert sorted(p.name for p in out.iterdir()) == ["_preview.png", "logo.bmp"]
    bmp = Bmp((out / "logo.bmp").read_bytes())
    assert bmp.data[:2] == b"BM"
    assert (bmp.width, bmp.height, bmp.bpp, bmp.compression) == (128, 48, 1, 0)
    assert bmp.rgb(10, 24) == WHITE and bmp.rgb(117, 24) == BLACK
    assert bmp.rgb(63, 0) == WHITE and bmp.rgb(64, 47) == BLACK
    assert png_size((out / "_preview.png").read_bytes()) == (128, 48)


async def test_all_black_logo_survives_every_tool(slots: Slots, tmp_path: Path) -> None:
    """The seed's ppmfix case: a one-colour picture (of the b/w slot's proportions, so no
    white border is added), in both slots."""
    upload = _convert(write_ppm(tmp_path / "black.ppm", 256, 96, lambda x, y: BLACK),
                      ["pnmtopng"], ".png")
    for slot, size, bpp in (("logo_bw", (128, 48), 1), ("logo_color", (320, 240), 24)):
        outcome, out = await slots.upload("logo.sh", slot, upload)
        assert outcome.action is Action.ACCEPT, (slot, outcome.error, outcome.log)
        bmp = Bmp((out / "logo.bmp").read_bytes())
        assert ((bmp.width, bmp.height), bmp.bpp) == (size, bpp)
        assert {bmp.rgb(x, y) for x in range(0, size[0], 7) for y in range(0, size[1], 5)} \
            == {BLACK}
        assert png_size((out / "_preview.png").read_bytes()) == size


async def test_all_white_logo_stays_white(slots: Slots, tmp_path: Path) -> None:
    """A one-colour picture must not fool the thresholding into inverting it."""
    upload = _convert(write_ppm(tmp_path / "white.ppm", 256, 96, lambda x, y: WHITE),
                      ["pnmtopng"], ".png")
    outcome, out = await slots.upload("logo.sh", "logo_bw", upload)
    assert outcome.action is Action.ACCEPT, (outcome.error, outcome.log)
    bmp = Bmp((out / "logo.bmp").read_bytes())
    assert (bmp.width, bmp.height, bmp.bpp) == (128, 48, 1)
    assert {bmp.rgb(x, y) for x in range(0, 128, 7) for y in range(0, 48, 5)} == {WHITE}


async def test_logo_color_is_320x240_and_keeps_the_proportions(slots: Slots,
                                                              tmp_path: Path) -> None:
    """A square red JPEG is scaled to 240x240 and centred on black: not stretched."""
    upload = _convert(write_ppm(tmp_path / "red.ppm", 100, 100, lambda x, y: RED),
                      ["pnmtojpeg", "-quality=95"], ".jpg")
    outcome, out = await slots.upload("logo.sh", "logo_color", upload)
    assert outcome.action is Action.ACCEPT, (outcome.error, outcome.log)
    bmp = Bmp((out / "logo.bmp").read_bytes())
    assert (bmp.width, bmp.height, bmp.bpp, bmp.compression) == (320, 240, 24, 0)
    red = bmp.rgb(160, 120)
    assert red[0] > 150 and red[1] < 40 and red[2] < 40, red
    assert bmp.rgb(10, 120) == BLACK and bmp.rgb(309, 120) == BLACK
    assert png_size((out / "_preview.png").read_bytes()) == (320, 240)


async def test_a_non_image_is_rejected_with_a_reason(slots: Slots, tmp_path: Path) -> None:
    text = tmp_path / "logo.png"  # the name does not matter: the content is checked
    text.write_text("<html>not a picture</html>\n")
    outcome, out = await slots.upload("logo.sh", "logo_bw", text)
    assert outcome.action is Action.REJECT
    assert outcome.error.startswith("not an image"), outcome.error
    assert list(out.iterdir()) == []


async def test_logo_script_refuses_a_slot_it_does_not_know(slots: Slots,
                                                           tmp_path: Path) -> None:
    upload = _half_white_half_black(tmp_path, ".png", ["pnmtopng"])
    outcome, _ = await slots.upload("logo.sh", "logo_huge", upload)
    assert (outcome.action, outcome.error) == (
        Action.REJECT, "logo.sh does not know the slot 'logo_huge'")


FW = "fw_spa30x_50x.sh"


def _binary(path: Path, size: int) -> Path:
    path.write_bytes(b"\x00\x01SPA" + os.urandom(size - 5))
    return path


async def test_firmware_image_is_accepted_as_is(slots: Slots, tmp_path: Path) -> None:
    image = _binary(tmp_path / "spa50x-30x.bin", 3 * 1024 * 1024)
    outcome, out = await slots.upload(FW, "fw_spa30x_50x", image)
    assert outcome.action is Action.ACCEPT, (outcome.error, outcome.log)
    assert [p.name for p in out.iterdir()] == ["firmware.bin"]
    assert (out / "firmware.bin").read_bytes() == image.read_bytes()


async def test_firmware_zip_download_is_unpacked(slots: Slots, tmp_path: Path) -> None:
    image = _binary(tmp_path / "inner.bin", 2 * 1024 * 1024)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("release-notes.txt", "notes")
        zf.write(image, "spa50x-30x/spa50x-30x.bin")
    upload = tmp_path / "download.zip"
    upload.write_bytes(buf.getvalue())
    outcome, out = await slots.upload(FW, "fw_spa30x_50x", upload)
    assert outcome.action is Action.ACCEPT, (outcome.error, outcome.log)
    assert (out / "firmware.bin").read_bytes() == image.read_bytes()


@pytest.mark.parametrize(("content", "reason"), [
    (b"MZ\x90\x00" + b"\x00" * (2 * 1024 * 1024), "this is a Windows program"),
    (b"release notes, version 7\n" * 100_000, "this is a text file"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024), "this is a picture"),
    (b"\x00\x01SPA" + b"\xff" * 4000, "4005 bytes is too small"),
])
async def test_bogus_firmware_is_rejected_unless_verification_is_off(
        slots: Slots, tmp_path: Path, content: bytes, reason: str) -> None:
    upload = tmp_path / "upload.bin"
    upload.write_bytes(content)
    outcome, out = await slots.upload(FW, "fw_spa30x_50x", upload)
    assert outcome.action is Action.REJECT and outcome.error.startswith(reason), outcome.error
    assert list(out.iterdir()) == []
    outcome, out = await slots.upload(FW, "fw_spa30x_50x", upload, verify=0)
    assert outcome.action is Action.ACCEPT, (outcome.error, outcome.log)
    assert (out / "firmware.bin").read_bytes() == content


async def test_empty_firmware_is_rejected_even_unverified(slots: Slots, tmp_path: Path) -> None:
    upload = tmp_path / "empty.bin"
    upload.write_bytes(b"")
    outcome, _ = await slots.upload(FW, "fw_spa30x_50x", upload, verify=0)
    assert (outcome.action, outcome.error) == (Action.REJECT, "the file is empty")
