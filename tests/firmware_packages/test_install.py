"""Installing packages against a loopback vendor: what arrives whole and matches its pin fills
the slot exactly as an upload; every way a vendor can fail us is one clear refusal with the
slot unchanged and nothing left in the download directory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from provhost.download import DownloadLimits
from provhost.engine import Engine
from provhost.firmware import FirmwareError
from provhost.fwpackages.install import InstallOptions, install_package, package_views
from provhost.paths import Paths
from provhost.server.oneshot import one_off_engine
from provhost.service import Service

from .vendor import GOOD, OTHER, PART_A, PART_B, sha, vendor_server, write_module

FAST = DownloadLimits(connect_timeout=2, idle_timeout=1, total_timeout=10, max_redirects=3)


@dataclass
class Site:
    svc: Service
    engine: Engine
    hits: list[str]

    def content_id(self) -> str | None:
        slots = {s.slot: s for s in self.svc.store.firmware_slots("fwpkg")}
        return slots["fw"].content_id if "fw" in slots else None

    def slot_files(self) -> list[str]:
        root = self.svc.paths.firmware_dir / "fwpkg" / "fw"
        return sorted(p.name for p in root.iterdir())

    def downloads_left(self) -> list[Path]:
        d = self.svc.paths.data_dir / "downloads"
        return list(d.rglob("*")) if d.exists() else []


@pytest.fixture
async def site(empty_bundled_paths: Paths, tmp_path: Path) -> AsyncIterator[Site]:
    tmp_path.chmod(0o755)  # the firmware sandbox (user nobody) must reach the data dir
    with vendor_server() as (base, hits):
        svc = Service(empty_bundled_paths)
        svc.module_install(write_module(tmp_path / "fwpkg", base), allow_unsigned=True)
        async with one_off_engine(svc) as engine:
            yield Site(svc, engine, hits)


async def test_good_package_fills_the_slot_after_a_dead_link(
        site: Site, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "provhost.fwpackages")
    result = await install_package(site.engine, "fwpkg", "good")
    assert result.install.verified and result.install.files == (("good.bin", len(GOOD),
                                                                sha(GOOD)),)
    assert site.content_id() == result.install.content_id
    assert (site.svc.paths.firmware_dir / "fwpkg/fw/image.bin").read_bytes() == GOOD
    assert site.hits[:2] == ["/fw/missing", "/fw/good.bin"]  # vendor URIs in order
    assert any("fw/missing: HTTP 404" in r.getMessage() for r in caplog.records)
    (row,) = [r for r in package_views(site.svc, "fwpkg") if r["package"] == "good"]
    assert row["installed"] and row["installed_verified"]
    assert site.downloads_left() == []


@pytest.mark.parametrize(("package", "reason"), [
    ("wrong-hash", f"SHA-256 mismatch (got {sha(OTHER)}"),
    ("wrong-size", f"short download: {len(GOOD)} of {len(GOOD) + 10} bytes"),
    ("grows", f"the file grew past {len(GOOD)} bytes"),
    ("to-ftp", "refused: 'ftp://127.0.0.1/fw/good.bin' is not an http(s) URL"),
    ("loops", "more than 3 redirects"),
    ("gone", "fw/error: HTTP 500"),
    ("hangs", "timeout"),
])
async def test_each_vendor_failure_is_refused_and_the_slot_keeps_its_content(
        site: Site, package: str, reason: str) -> None:
    before = (await install_package(site.engine, "fwpkg", "good")).install.content_id
    with pytest.raises(FirmwareError) as refused:
        await install_package(site.engine, "fwpkg", package, InstallOptions(limits=FAST))
    message = str(refused.value)
    assert message.startswith(f"firmware package fwpkg/{package}: could not get"), message
    assert reason in message
    assert site.content_id() == before
    assert (site.svc.paths.firmware_dir / "fwpkg/fw/image.bin").read_bytes() == GOOD
    assert site.downloads_left() == []


async def test_redirect_within_http_is_followed(site: Site) -> None:
    await install_package(site.engine, "fwpkg", "redirected")
    assert site.hits[-2:] == ["/fw/redirect-good", "/fw/good.bin"]


async def test_licence_must_be_accepted_first(site: Site) -> None:
    with pytest.raises(FirmwareError, match=r"comes with a licence.*--accept-licence"):
        await install_package(site.engine, "fwpkg", "licensed")
    assert site.hits == [] and site.content_id() is None  # nothing downloaded
    await install_package(site.engine, "fwpkg", "licensed", InstallOptions(accept_licence=True))
    assert site.content_id() is not None


async def test_unverified_package_needs_the_flag_and_records_what_it_got(site: Site) -> None:
    with pytest.raises(FirmwareError, match=r"is unverified.*--unverified"):
        await install_package(site.engine, "fwpkg", "unpinned")
    assert site.hits == []
    result = await install_package(site.engine, "fwpkg", "unpinned",
                                   InstallOptions(unverified=True))
    assert result.install.verified is False
    assert result.install.files == (("free.bin", len(OTHER), sha(OTHER)),)
    (row,) = [r for r in package_views(site.svc) if r["package"] == "unpinned"]
    assert row["installed"] and row["installed_verified"] is False and not row["verified"]


async def test_several_files_are_fed_as_one_zip(site: Site) -> None:
    await install_package(site.engine, "fwpkg", "two-files")
    assert site.slot_files() == ["a.bin", "b.bin"]
    root = site.svc.paths.firmware_dir / "fwpkg/fw"
    assert (root / "a.bin").read_bytes() == PART_A and (root / "b.bin").read_bytes() == PART_B


async def test_local_file_and_mirror_directory(site: Site, tmp_path: Path) -> None:
    local = tmp_path / "downloaded-by-hand.bin"
    local.write_bytes(GOOD)
    await install_package(site.engine, "fwpkg", "good", InstallOptions(source=str(local)))
    assert site.hits == []  # no vendor asked
    wrong = tmp_path / "wrong.bin"
    wrong.write_bytes(OTHER)
    with pytest.raises(FirmwareError, match="SHA-256 mismatch"):
        await install_package(site.engine, "fwpkg", "good", InstallOptions(source=str(wrong)))
    mirror = tmp_path / "mirror"
    (mirror / sha(GOOD)).mkdir(parents=True)
    (mirror / sha(GOOD) / "other.bin").write_bytes(GOOD)  # the pinned file of wrong-hash
    site.svc.setting_set("FIRMWARE_MIRROR", str(mirror))
    await install_package(site.engine, "fwpkg", "wrong-hash")  # the mirror has the real one
    assert "/fw/other.bin" not in site.hits


async def test_unknown_package_and_module_are_named(site: Site) -> None:
    with pytest.raises(FirmwareError, match=r"no firmware package 'nope'; packages: .*good"):
        await install_package(site.engine, "fwpkg", "nope")
    with pytest.raises(FirmwareError, match="no module 'nope'"):
        package_views(site.svc, "nope")
