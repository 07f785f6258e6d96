"""Unpacking untrusted modules: hostile zips and directories are refused with clear errors."""

from __future__ import annotations

import os
import random
import stat
import warnings
import zipfile
from pathlib import Path

import pytest
from provhost.moduleformat.archive import ArchiveError, Limits, extract_module

from .helpers import GOOD_MODULE, write_tree


def make_zip(path: Path, entries: list[tuple[str, bytes] | zipfile.ZipInfo | tuple]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for entry in entries:
                if isinstance(entry, tuple) and isinstance(entry[0], zipfile.ZipInfo):
                    zf.writestr(entry[0], entry[1])
                else:
                    zf.writestr(entry[0], entry[1])
    return path


def tree_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_zip_at_root(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "m.zip", [(n, c if isinstance(c, bytes) else c.encode())
                                      for n, c in GOOD_MODULE.items()])
    root = extract_module(z, tmp_path / "out")
    assert root == tmp_path / "out"
    assert tree_files(root)["providers/spa.php"] == b"<?php\npassNext();\n"
    assert set(tree_files(root)) == set(GOOD_MODULE)


def test_zip_with_one_top_level_directory(tmp_path: Path) -> None:
    entries = [("mymodule/", b"")] + [(f"mymodule/{n}", str(c).encode())
                                      for n, c in GOOD_MODULE.items()]
    entries.append(("__MACOSX/mymodule/._info", b"junk"))
    root = extract_module(make_zip(tmp_path / "m.zip", entries), tmp_path / "out")
    assert set(tree_files(root)) == set(GOOD_MODULE)


def test_case_sensitive_names(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "m.zip", [("info", b"a"), ("Info", b"b")])
    assert tree_files(extract_module(z, tmp_path / "out")) == {"info": b"a", "Info": b"b"}


def symlink_entry() -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo("providers/evil.php")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, b"/etc/passwd"


def special_entry(kind: int) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo("dev")
    info.create_system = 3
    info.external_attr = (kind | 0o644) << 16
    return info, b""


def set_encrypted_flag(path: Path) -> Path:
    """zipfile cannot write encrypted entries; set the flag bit in both headers by hand."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + offset
        data[at] |= 0x1
    path.write_bytes(bytes(data))
    return path


def test_encrypted_entry_is_refused(tmp_path: Path) -> None:
    z = set_encrypted_flag(make_zip(tmp_path / "m.zip", [("info", b"ciphertext")]))
    with pytest.raises(ArchiveError) as info:
        extract_module(z, tmp_path / "out")
    assert info.value.message == "entry 'info' is encrypted; refusing the module"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("../x", b"a")], "entry '../x' has a '..' component (it would escape the module "
                           "directory); refusing the module"),
        ([("a/../../x", b"a")], "entry 'a/../../x' has a '..' component"),
        ([("/etc/cron.d/x", b"a")], "entry '/etc/cron.d/x' has an absolute path"),
        ([("C:/x", b"a")], "entry 'C:/x' has an absolute path"),
        ([("a\\..\\x", b"a")], "has a backslash in the name"),
        ([("a\x01b", b"a")], "has a control character in the name"),
        ([("a//b", b"a")], "has an empty or '.' path component"),
        ([symlink_entry()], "entry 'providers/evil.php' is a symbolic link; refusing the module"),
        ([special_entry(stat.S_IFCHR)], "entry 'dev' is a special file (device, fifo or socket)"),
        ([special_entry(stat.S_IFIFO)], "entry 'dev' is a special file"),
        ([("info", b"a"), ("info", b"b")], "entry 'info' appears twice; refusing the module"),
        ([("a", b"x"), ("a/b", b"y")], "'a' is both a file and a directory"),
    ],
)
def test_hostile_zip_entries(tmp_path: Path, entries: list, message: str) -> None:
    z = make_zip(tmp_path / "evil.zip", entries)
    with pytest.raises(ArchiveError) as info:
        extract_module(z, tmp_path / "out")
    assert message in info.value.message
    assert info.value.file == str(z)
    assert not (tmp_path / "x").exists()


def test_zip_bomb_stops_at_the_limit(tmp_path: Path) -> None:
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, \
            zf.open("info", "w", force_zip64=True) as out:
        block = bytes(1 << 20)
        for _ in range(100):
            out.write(block)
    assert z.stat().st_size < 200_000
    with pytest.raises(ArchiveError) as info:
        extract_module(z, tmp_path / "out")
    assert info.value.message == (
        "the files unpack to more than 67108864 bytes (reached while unpacking 'info'); "
        "refusing the module")
    assert sum(p.stat().st_size for p in (tmp_path / "out").rglob("*")) <= 64 * 2**20


def test_total_size_is_counted_across_files(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "m.zip", [(f"f{i}", bytes(400)) for i in range(3)])
    with pytest.raises(ArchiveError, match="more than 1000 bytes"):
        extract_module(z, tmp_path / "out", Limits(max_total_bytes=1000))


def test_too_many_files(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "m.zip", [(f"d/f{i}", b"x") for i in range(11)])
    with pytest.raises(ArchiveError) as info:
        extract_module(z, tmp_path / "out", Limits(max_files=10))
    assert str(info.value) == f"{z}: more than 10 files; refusing the module"
    extract_module(z, tmp_path / "ok", Limits(max_files=11))


def test_not_a_zip(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 garbage")
    with pytest.raises(ArchiveError, match="not a readable zip archive"):
        extract_module(bad, tmp_path / "out")


def test_corrupt_member_is_refused(tmp_path: Path) -> None:
    payload = random.Random(1).randbytes(2000)  # incompressible: stored deflate blocks
    z = make_zip(tmp_path / "m.zip", [("info", payload)])
    data = bytearray(z.read_bytes())
    data[500:520] = bytes(20)  # inside the data of the only member
    z.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="cannot unpack 'info'"):
        extract_module(z, tmp_path / "out")


def test_destination_must_be_empty(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("")
    with pytest.raises(ValueError, match="not empty"):
        extract_module(make_zip(tmp_path / "m.zip", [("info", b"")]), tmp_path / "out")


def test_directory_is_copied(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src" / "wrapped", GOOD_MODULE)
    root = extract_module(tmp_path / "src", tmp_path / "out")
    assert set(tree_files(root)) == set(GOOD_MODULE)
    (src / "info").write_text("changed later")
    assert (root / "info").read_text() == GOOD_MODULE["info"]


def test_directory_with_symlink_is_refused(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"info": "x", "providers/a.php": "<?php"})
    os.symlink("/etc/passwd", src / "providers" / "b.php")
    with pytest.raises(ArchiveError) as info:
        extract_module(src, tmp_path / "out")
    assert info.value.message == "'providers/b.php' is a symbolic link; refusing the module"


def test_directory_with_dangling_or_dir_symlink_is_refused(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"info": "x"})
    os.symlink("/", src / "root")
    with pytest.raises(ArchiveError, match="'root' is a symbolic link"):
        extract_module(src, tmp_path / "out")


def test_directory_with_fifo_is_refused(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"info": "x"})
    os.mkfifo(src / "pipe")
    with pytest.raises(ArchiveError, match="'pipe' is a special file"):
        extract_module(src, tmp_path / "out")


def test_directory_limits(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {f"f{i}": "abc" for i in range(5)})
    with pytest.raises(ArchiveError, match="more than 4 files"):
        extract_module(src, tmp_path / "a", Limits(max_files=4))
    with pytest.raises(ArchiveError, match="more than 14 bytes"):
        extract_module(src, tmp_path / "b", Limits(max_total_bytes=14))


@pytest.mark.parametrize("name", ["", "\x00", "\x00info"])
def test_empty_or_nul_entry_name_is_refused(tmp_path: Path, name: str) -> None:
    """Found by the fuzz suite: such names made zipfile raise IndexError, not ArchiveError."""
    source = tmp_path / "m.zip"
    with zipfile.ZipFile(source, "w") as zf:
        for rel, text in GOOD_MODULE.items():
            zf.writestr(rel, text)
        info = zipfile.ZipInfo("placeholder")
        info.filename = name  # bypass ZipInfo's own cleaning, as a hostile archive could
        zf.writestr(info, b"x")
    with pytest.raises(ArchiveError, match="empty name or a NUL"):
        extract_module(source, tmp_path / "out")
