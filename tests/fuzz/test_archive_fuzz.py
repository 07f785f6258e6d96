"""Fuzzing the module archive loader with hostile and damaged zips.

Properties: the loader gives a module or a FormatError (ArchiveError for the archive,
ModuleInvalid for its contents), never anything else; nothing is ever written outside the
destination directory; no symlink or special file appears inside it; and what it does
unpack is exactly what the archive holds."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import stat
import tempfile
import warnings
import zipfile
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st
from provhost.moduleformat.archive import ArchiveError, Limits, check_entry_name, extract_module
from provhost.moduleformat.loader import load_module
from provhost.moduleformat.model import FormatError
from provhost.paths import SOURCE_ROOT

from .conftest import FUZZ_SLOW
from .strategies import mutate, mutations

SMALL = Limits(max_files=20, max_total_bytes=4096)

_name_part = st.sampled_from(["info", "providers", "spa.php", "templates", "a", "..", ".", "",
                              "x.tpl", "__MACOSX", "C:", "a\\b", "é", "\x01", " ", "top"])
entry_name = st.one_of(
    st.lists(_name_part, min_size=1, max_size=4).map("/".join),
    st.lists(_name_part, min_size=1, max_size=3).map(lambda p: "/" + "/".join(p)),
    st.lists(_name_part, min_size=1, max_size=3).map(lambda p: "/".join(p) + "/"),
    st.text(max_size=12),
)
_kinds = st.sampled_from([0, stat.S_IFREG | 0o644, stat.S_IFDIR | 0o755, stat.S_IFLNK | 0o777,
                          stat.S_IFIFO | 0o644, stat.S_IFCHR | 0o644, stat.S_IFSOCK | 0o644])
entry = st.tuples(entry_name, st.binary(max_size=300), _kinds,
                  st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
                  st.booleans())  # the "encrypted" flag bit


def build_zip(entries: list[tuple[str, bytes, int, int, bool]]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w") as zf:
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are part of the fuzz
        for name, data, kind, method, encrypted in entries:
            info = zipfile.ZipInfo(name or "x")
            info.external_attr = kind << 16
            info.compress_type = method
            if encrypted:
                info.flag_bits |= 0x1
            # zipfile itself refuses to write some names: nothing to test there
            with contextlib.suppress(ValueError, UnicodeEncodeError):
                zf.writestr(info, data)
    return buf.getvalue()


def _bundled_zip() -> bytes:
    buf = io.BytesIO()
    root = SOURCE_ROOT / "modules" / "cisco-spa"
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, "cisco-spa/" + path.relative_to(root).as_posix())
    return buf.getvalue()


BUNDLED_ZIP = _bundled_zip()


def _snapshot(base: Path) -> set[str]:
    return {str(p.relative_to(base)) for p in base.rglob("*")}


def _run(archive: bytes, loader) -> tuple[Path, Path, object]:  # type: ignore[no-untyped-def]
    """Unpack in a fresh sandbox dir; return (base, dest, outcome) after the safety checks."""
    base = Path(tempfile.mkdtemp(prefix="provhost-fuzz-"))
    (base / "in").mkdir()
    source = base / "in" / "module.zip"
    source.write_bytes(archive)
    dest = base / "out" / "dest"
    before = _snapshot(base)
    try:
        outcome: object = loader(source, dest)
    except FormatError as exc:
        assert str(exc)
        outcome = exc
    after = _snapshot(base)
    new = after - before
    assert all(p == "out" or p.startswith("out/dest") for p in new), sorted(new)
    assert (base / "in").exists() and _snapshot(base / "in") == {"module.zip"}
    for p in dest.rglob("*") if dest.exists() else []:
        mode = p.lstat().st_mode
        assert stat.S_ISREG(mode) or stat.S_ISDIR(mode), p
        assert os.path.realpath(p).startswith(os.path.realpath(dest) + os.sep)
    return base, dest, outcome


def _expected_files(entries: list[tuple[str, bytes, int, int, bool]]) -> dict[str, bytes]:
    """What a correct loader unpacks from an archive it accepts (before the top-level
    directory is collapsed)."""
    out: dict[str, bytes] = {}
    for name, data, kind, _, _ in entries:
        name = name or "x"
        if name.endswith("/") or stat.S_IFMT(kind) == stat.S_IFDIR:
            continue
        if name.split("/")[0] == "__MACOSX":
            continue
        out[name] = data
    return out


@FUZZ_SLOW
@given(st.lists(entry, max_size=6))
@example([("../evil", b"x", 0, zipfile.ZIP_STORED, False)])
@example([("a/b", b"x", stat.S_IFLNK | 0o777, zipfile.ZIP_STORED, False)])
@example([("a", b"x", 0, zipfile.ZIP_STORED, False), ("a/b", b"y", 0, zipfile.ZIP_STORED, False)])
@example([("top/info", b"x", 0, zipfile.ZIP_STORED, False)])
def test_hostile_archives_never_escape(entries: list) -> None:  # type: ignore[type-arg]
    archive = build_zip(entries)
    base, dest, outcome = _run(archive, lambda s, d: extract_module(s, d, SMALL))
    try:
        _check_unpacked(archive, dest, outcome)
    finally:
        shutil.rmtree(base)


def _check_unpacked(archive: bytes, dest: Path, outcome: object) -> None:
    if isinstance(outcome, ArchiveError):
        return
    assert isinstance(outcome, Path) and outcome == dest
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        written = _expected_files([(i.filename, zf.read(i), i.external_attr >> 16, 0, False)
                                   for i in zf.infolist()])
    for name in written:
        assert check_entry_name(name.rstrip("/")) is None, name
    got = {str(p.relative_to(dest)): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    # a single top-level directory may have been collapsed: compare by suffix
    assert len(got) == len(written)
    assert sorted(got.values()) == sorted(written.values())


@FUZZ_SLOW
@given(mutations)
@example([("flip", 0.99, 6)])  # a central directory claiming zip version 8.4 (NotImplementedError)
def test_damaged_module_zip_loads_or_fails_cleanly(changes: list) -> None:  # type: ignore[type-arg]
    shutil.rmtree(_run(mutate(BUNDLED_ZIP, changes), load_module)[0])


@FUZZ_SLOW
@given(st.binary(max_size=400))
@example(b"PK\x05\x06" + b"\0" * 18)  # an empty zip
@example(b"PK\x03\x04")
def test_arbitrary_bytes_are_not_a_module(data: bytes) -> None:
    shutil.rmtree(_run(data, load_module)[0])


def _module_files() -> dict[str, str]:
    root = SOURCE_ROOT / "modules" / "cisco-spa"
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*"))
            if p.is_file()}


MODULE_FILES = _module_files()
_junk = st.sampled_from(["\n", "[module]", "id = ", "version = 1.0", "=", "{$", "}", "<?php",
                         "@set ", "\\", '"', "#", "\x00", "\udcff", "é", "sequence = 99"])


@FUZZ_SLOW
@given(st.sampled_from(sorted(MODULE_FILES)), st.data())
def test_module_with_a_damaged_file_loads_or_is_invalid(name: str, data: st.DataObject) -> None:
    """A well-formed zip whose info, phone_types, provider or template text is damaged:
    this reaches the parsers and the cross-checks behind the archive layer."""
    text = MODULE_FILES[name]
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 30)))
    damaged = text[:start] + data.draw(_junk | st.text(max_size=4)) + text[end:]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, t in MODULE_FILES.items():
            zf.writestr(n, (damaged if n == name else t).encode("utf-8", "surrogateescape"))
    shutil.rmtree(_run(buf.getvalue(), load_module)[0])


def test_undamaged_seed_loads() -> None:
    """The seed of the mutation test is itself a valid module (one directory collapsed)."""
    base, dest, outcome = _run(BUNDLED_ZIP, load_module)
    assert not isinstance(outcome, Exception), outcome
    assert (dest / "info").is_file()
    shutil.rmtree(base)
