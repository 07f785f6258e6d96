"""The firmware_packages format (pure): parsing, every refusal with its line, fw-hash's
in-place update, and the order sources are tried in."""

from __future__ import annotations

from pathlib import Path

import pytest
from provhost.fwpackages.sources import sources_for
from provhost.moduleformat.firmware_packages import (
    PackageFile,
    parse_packages,
    update_file_entries,
)
from provhost.moduleformat.model import FormatError

SHA = "ab" * 32
VALID = f"""# a comment
[package fw-7.6.2]
name = Firmware 7.6.2
slot = fw
files = one.bin two.bin
licence = licences/eula.txt

[file one.bin]
uri = https://vendor.example/one.bin
uri = http://old.vendor.example/one.bin
size = 1234
sha256 = {SHA.upper()}

[file two.bin]
uri = https://vendor.example/two.bin
"""


def test_valid_list_is_parsed() -> None:
    (pkg,) = parse_packages(VALID)
    assert (pkg.id, pkg.name, pkg.slot, pkg.licence) == ("fw-7.6.2", "Firmware 7.6.2", "fw",
                                                         "licences/eula.txt")
    one, two = pkg.files
    assert one.uris == ("https://vendor.example/one.bin", "http://old.vendor.example/one.bin")
    assert (one.size, one.sha256, one.verified) == (1234, SHA, True)  # hex normalised
    assert (two.size, two.sha256, two.verified) == (None, None, False)
    assert not pkg.verified  # one file unpinned: the package is unverified


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("[package p]\nname = n\nslot = s\nfiles = f\n[file f]\nuri = ftp://x/f\n", 6,
     "http:// or https://"),
    ("[package p]\nname = n\nslot = s\nfiles = f\n[file f]\nuri = http://x/f\nsha256 = "
     + SHA + "\n", 7, "needs a size"),
    ("[package p]\nname = n\nslot = s\nfiles = f\n[file f]\nuri = http://x/f\nsize = 3\n"
     "sha256 = 1234\n", 8, "64 hex digits"),
    ("[package p]\nname = n\nslot = s\nfiles = f g\n[file f]\nuri = http://x/f\n", 4,
     "no valid [file g] section"),
    ("[package p]\nname = n\nfiles = f\n[file f]\nuri = http://x/f\n", 1, "slot is required"),
    ("[package p]\nname = n\nslot = s\nfiles = f\ncolour = red\n[file f]\nuri = http://x\n", 5,
     "unknown key 'colour'"),
    ("[package p]\nname = n\nslot = s\nfiles = f\n[file f]\nuri = http://x/f\n[file f]\n", 7,
     "declared twice"),
    ("[file ../etc/passwd]\nuri = http://x/f\n", 1, "no directories"),
    ("[package p]\nname = n\nslot = s\nfiles = f\nlicence = ../../etc/shadow\n[file f]\n"
     "uri = http://x/f\n", 5, "inside the module"),
    ("uri = http://x\n", 1, "before the first section"),
    ("[file f]\nsize = -3\n", 2, "size must be"),
])
def test_each_mistake_is_reported_with_its_line(text: str, line: int, fragment: str) -> None:
    errors: list[FormatError] = []
    parse_packages(text, "firmware_packages", errors)
    assert errors, "expected a problem"
    assert any(e.line == line and fragment in e.message for e in errors), [str(e) for e in errors]


def test_fw_hash_update_keeps_comments_and_replaces_in_place() -> None:
    text = ("# keep me\n[package p]\nname = n\nslot = s\nfiles = a.bin b.bin\n\n"
            "[file a.bin]\nuri = http://x/a.bin\n  size = 1\nsha256 = " + "0" * 64 + "\n\n"
            "[file b.bin]\n# where: the vendor site\nuri = http://x/b.bin\n")
    new, report = update_file_entries(text, {"a.bin": (10, "1" * 64), "b.bin": (20, "2" * 64),
                                             "c.bin": (30, "3" * 64)})
    assert new.startswith("# keep me\n")
    assert "  size = 10\nsha256 = " + "1" * 64 in new  # indentation kept, value replaced
    assert "[file b.bin]\nsize = 20\nsha256 = " + "2" * 64 + "\n# where: the vendor site" in new
    assert "[file c.bin]" in new and "size = 30" in new
    assert len(report) == 3
    (pkg,) = parse_packages(new)  # still a valid list
    assert [f.size for f in pkg.files] == [10, 20]


def test_sources_mirror_first_then_vendor_and_from_replaces_all(tmp_path: Path) -> None:
    f = PackageFile("fw.bin", ("https://v.example/fw.bin",), 3, SHA, 1)
    assert [str(s) for s in sources_for(f, from_option=None, single_file=True,
                                        mirror="http://m.example/fw/")] == [
        f"http://m.example/fw/{SHA}/fw.bin", "https://v.example/fw.bin"]
    assert [str(s) for s in sources_for(f, from_option=None, single_file=True,
                                        mirror="/srv/mirror")] == [
        f"/srv/mirror/{SHA}/fw.bin", "https://v.example/fw.bin"]
    unpinned = PackageFile("fw.bin", ("https://v.example/fw.bin",), None, None, 1)
    assert [str(s) for s in sources_for(unpinned, from_option=None, single_file=True,
                                        mirror="/srv/mirror")] == ["https://v.example/fw.bin"]
    assert [str(s) for s in sources_for(f, from_option=str(tmp_path), single_file=False,
                                        mirror="/srv/mirror")] == [str(tmp_path / "fw.bin")]
    assert [str(s) for s in sources_for(f, from_option="/tmp/x.bin", single_file=True,
                                        mirror="")] == ["/tmp/x.bin"]


def test_module_check_cross_checks_slots_and_licences(tmp_path: Path) -> None:
    from provhost.moduleformat.loader import check_module

    from .vendor import write_module

    root = write_module(tmp_path / "m", "http://127.0.0.1:9")
    assert [p for p in check_module(root) if p.severity == "error"] == []
    (root / "licences/vendor.txt").unlink()
    text = (root / "firmware_packages").read_text().replace("slot = fw\nfiles = good.bin",
                                                            "slot = nope\nfiles = good.bin", 1)
    (root / "firmware_packages").write_text(text + "[file orphan.bin]\nuri = http://x/o\n")
    problems = [str(p) for p in check_module(root)]
    assert any("package good: slot 'nope' is not declared in firmware_types" in p
               for p in problems), problems
    assert any("licence file licences/vendor.txt is missing" in p for p in problems), problems
    assert any("warning: [file orphan.bin] is named by no package" in p for p in problems)
