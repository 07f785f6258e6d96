"""Where one package file may come from, in the order to try: pure.

Order: an administrator's `--from` (a file, a directory holding the package's files, or a
URL) replaces every other source; otherwise the configured mirror first (laid out by hash:
``<mirror>/<sha256>/<file name>``, so any web server or directory can be a mirror), then
the vendor URIs the module lists.  A file with no hash cannot be found in a mirror.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provhost.download import is_url
from provhost.moduleformat.firmware_packages import PackageFile


@dataclass(frozen=True)
class Source:
    """One place to fetch a file from: a URL (http/https) or a local path."""

    location: str
    is_url: bool

    def __str__(self) -> str:
        return self.location


def mirror_location(mirror: str, f: PackageFile) -> Source | None:
    """The file's place in a mirror (URL or directory), or None without a hash."""
    if f.sha256 is None or not mirror:
        return None
    if is_url(mirror):
        return Source(f"{mirror.rstrip('/')}/{f.sha256}/{f.name}", True)
    return Source(str(Path(mirror) / f.sha256 / f.name), False)


def sources_for(f: PackageFile, *, from_option: str | None, single_file: bool,
                mirror: str) -> list[Source]:
    """Every source for `f`, in the order to try them."""
    if from_option:
        if is_url(from_option):
            return [Source(from_option, True)] if single_file else [
                Source(f"{from_option.rstrip('/')}/{f.name}", True)]
        path = Path(from_option)
        if path.is_dir():
            return [Source(str(path / f.name), False)]
        return [Source(str(path), False)] if single_file else []
    found = [s for s in [mirror_location(mirror, f)] if s is not None]
    return found + [Source(u, True) for u in f.uris]
