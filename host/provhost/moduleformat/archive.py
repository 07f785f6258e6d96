"""Unpacking an untrusted module (zip archive or directory) into a fresh directory, safely.

Rules:
* Entry names are case-sensitive, '/'-separated, relative, with no '', '.' or '..'
  component, no backslash, NUL or other control character, at most MAX_NAME_LENGTH chars.
* Only regular files and directories: symlinks, devices, fifos and sockets are refused
  (zip: the Unix mode in external_attr; directories: lstat, never followed).
* Encrypted entries, duplicate names and a name used both as file and directory are refused.
* At most `limits.max_files` files and `limits.max_total_bytes` bytes in total.  Bytes
  are counted while copying, never taken from headers, so a zip bomb stops at the limit.
* The module may sit inside one top-level directory of any name (only when the archive root
  has no `info` and holds nothing but that directory).  `__MACOSX/` entries are ignored.

Directories are copied too, not used in place: what was validated is what runs, whatever
happens to the source afterwards.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from provhost.moduleformat.model import FormatError

MAX_NAME_LENGTH = 255
MAX_DEPTH = 16
_CHUNK = 64 * 1024
_IGNORED_TOP = "__MACOSX"


@dataclass(frozen=True)
class Limits:
    max_files: int = 2000
    max_total_bytes: int = 64 * 1024 * 1024


DEFAULT_LIMITS = Limits()


class ArchiveError(FormatError):
    """The archive or directory cannot be accepted; `file` is the source, `message` why."""

    def __init__(self, source: Path | str, message: str) -> None:
        super().__init__(str(source), None, message)


def check_entry_name(name: str) -> str | None:
    """Why `name` (a '/'-separated relative path, no trailing '/') is unsafe, or None."""
    if not name:
        return "an empty name"
    if len(name) > MAX_NAME_LENGTH:
        return f"a name longer than {MAX_NAME_LENGTH} characters"
    if "\\" in name:
        return "a backslash in the name"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "a control character in the name"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    parts = name.split("/")
    if ".." in parts:
        return "a '..' component (it would escape the module directory)"
    if "" in parts or "." in parts:
        return "an empty or '.' path component"
    if len(parts) > MAX_DEPTH:
        return f"more than {MAX_DEPTH} directory levels"
    return None


class _Budget:
    """Counts files and bytes as they are written; raises at the first excess."""

    def __init__(self, source: Path, limits: Limits) -> None:
        self.source = source
        self.limits = limits
        self.files = 0
        self.bytes = 0

    def add_file(self) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise ArchiveError(
                self.source, f"more than {self.limits.max_files} files; refusing the module"
            )

    def add_bytes(self, count: int, name: str) -> None:
        self.bytes += count
        if self.bytes > self.limits.max_total_bytes:
            raise ArchiveError(
                self.source,
                f"the files unpack to more than {self.limits.max_total_bytes} bytes "
                f"(reached while unpacking {name!r}); refusing the module",
            )


def _write_stream(reader, target: Path, name: str, budget: _Budget) -> None:  # reader: binary
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as out:
        while True:
            chunk = reader.read(_CHUNK)
            if not chunk:
                break
            budget.add_bytes(len(chunk), name)
            out.write(chunk)


def _plan(names: list[tuple[str, bool]], source: Path) -> tuple[str, dict[str, bool]]:
    """Validate names; return (prefix to strip, {relative name: is_dir}) after collapsing
    a single top-level directory."""
    entries: dict[str, bool] = {}
    for raw, is_dir in names:
        name = raw[:-1] if raw.endswith("/") else raw
        if name.split("/")[0] == _IGNORED_TOP:
            continue
        why = check_entry_name(name)
        if why:
            raise ArchiveError(source, f"entry {raw!r} has {why}; refusing the module")
        if name in entries:
            if is_dir and entries[name]:
                continue  # a directory listed twice is harmless
            raise ArchiveError(source, f"entry {name!r} appears twice; refusing the module")
        entries[name] = is_dir
    # every parent of an entry is a directory, never a file
    for name in entries:
        parts = name.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if entries.get(parent) is False:
                raise ArchiveError(
                    source, f"{parent!r} is both a file and a directory; refusing the module"
                )
    tops = {n.split("/")[0] for n in entries}
    prefix = ""
    if "info" not in entries and len(tops) == 1:
        top = next(iter(tops))
        if entries.get(top, True) and any("/" in n for n in entries):
            prefix = top + "/"
    stripped = {n[len(prefix):]: d for n, d in entries.items() if n.startswith(prefix)}
    stripped.pop("", None)
    return prefix, stripped


def _extract_zip(source: Path, dest: Path, limits: Limits) -> None:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:  # e.g. "zip file version 8.4"
        raise ArchiveError(source, f"not a readable zip archive ({exc})") from None
    with archive:
        infos = archive.infolist()
        if any(not i.filename or "\0" in i.filename for i in infos):
            raise ArchiveError(source, "an entry has an empty name or a NUL in its name")
        if len([i for i in infos if not i.is_dir()]) > limits.max_files:
            raise ArchiveError(source, f"more than {limits.max_files} files; refusing the module")
        listed: list[tuple[str, bool]] = []
        for info in infos:
            mode = info.external_attr >> 16
            kind = stat.S_IFMT(mode)
            if info.filename.split("/")[0] != _IGNORED_TOP:
                if info.flag_bits & 0x1:
                    raise ArchiveError(
                        source, f"entry {info.filename!r} is encrypted; refusing the module"
                    )
                if stat.S_ISLNK(mode):
                    raise ArchiveError(
                        source, f"entry {info.filename!r} is a symbolic link; refusing the module"
                    )
                if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                    raise ArchiveError(
                        source,
                        f"entry {info.filename!r} is a special file (device, fifo or socket); "
                        "refusing the module",
                    )
            listed.append((info.filename, info.is_dir() or kind == stat.S_IFDIR))
        prefix, entries = _plan(listed, source)
        budget = _Budget(source, limits)
        _make_dirs(dest, entries)
        for info in infos:
            name = info.filename.rstrip("/")
            if not name.startswith(prefix) or entries.get(name[len(prefix):], True):
                continue
            rel = name[len(prefix):]
            budget.add_file()
            try:
                with archive.open(info) as reader:
                    _write_stream(reader, dest / rel, rel, budget)
            except ArchiveError:
                raise
            except Exception as exc:  # BadZipFile (CRC), zlib/lzma/bz2 errors, unsupported
                raise ArchiveError(source, f"cannot unpack {rel!r}: {exc}") from None


def _make_dirs(dest: Path, entries: dict[str, bool]) -> None:
    dirs = {n for n, d in entries.items() if d}
    dirs |= {"/".join(n.split("/")[:i]) for n in entries for i in range(1, n.count("/") + 1)}
    for d in sorted(dirs, key=lambda n: n.count("/")):
        (dest / d).mkdir(mode=0o755)


def _walk_dir(source: Path) -> list[tuple[str, bool]]:
    """Names in a directory tree; refuses anything but files and directories."""
    found: list[tuple[str, bool]] = []
    stack = [""]
    while stack:
        rel = stack.pop()
        with os.scandir(source / rel if rel else source) as it:
            for entry in it:
                name = f"{rel}/{entry.name}" if rel else entry.name
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    raise ArchiveError(source, f"{name!r} is a symbolic link; refusing the module")
                if stat.S_ISDIR(st.st_mode):
                    found.append((name + "/", True))
                    if name.count("/") + 1 > MAX_DEPTH:
                        raise ArchiveError(
                            source, f"{name!r} is more than {MAX_DEPTH} directory levels deep"
                        )
                    stack.append(name)
                elif stat.S_ISREG(st.st_mode):
                    found.append((name, False))
                else:
                    raise ArchiveError(
                        source,
                        f"{name!r} is a special file (device, fifo or socket); refusing the module",
                    )
    return found


def _copy_dir(source: Path, dest: Path, limits: Limits) -> None:
    listed = _walk_dir(source)
    if len([n for n, d in listed if not d]) > limits.max_files:
        raise ArchiveError(source, f"more than {limits.max_files} files; refusing the module")
    prefix, entries = _plan(listed, source)
    _make_dirs(dest, entries)
    budget = _Budget(source, limits)
    for rel, is_dir in sorted(entries.items()):
        if is_dir:
            continue
        budget.add_file()
        src = source / (prefix + rel)
        try:
            fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as exc:
            raise ArchiveError(source, f"cannot read {rel!r}: {exc}") from None
        with os.fdopen(fd, "rb") as reader:
            if not stat.S_ISREG(os.fstat(reader.fileno()).st_mode):
                raise ArchiveError(source, f"{rel!r} is not a regular file; refusing the module")
            _write_stream(reader, dest / rel, rel, budget)


def extract_module(source: Path, dest: Path, limits: Limits = DEFAULT_LIMITS) -> Path:
    """Unpack the zip file or copy the directory `source` into `dest` and return the module
    root (`dest` itself: a single top-level directory is collapsed while unpacking).

    `dest` must be a new or empty directory owned by the caller; on error its contents are
    undefined and the caller should remove it.  Raises ArchiveError saying what was wrong.
    """
    source = Path(source)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ValueError(f"destination {dest} is not empty")
    try:
        st = source.lstat()
    except OSError as exc:
        raise ArchiveError(source, f"cannot read the module: {exc}") from None
    if stat.S_ISDIR(st.st_mode):
        _copy_dir(source, dest, limits)
    elif stat.S_ISREG(st.st_mode):
        _extract_zip(source, dest, limits)
    else:
        raise ArchiveError(source, "expected a zip file or a directory")
    return dest
