"""Bumping a module's version the seed's way (pure).

XiVO's rule: production 0.4; while developing, 0.4.01, 0.4.02, ...; when done, 0.5.  A
version is a *development* version when its last component is zero-padded (``01`` ...
``09``): that is unambiguous (no release is written 0.4.05), while a firmware-style
release such as Snom's 8.7.3.25 stays a release.  Nine development versions, then release.
`bump` gives the next development version, `bump(..., release=True)` the next release.
Versions compare as numbers (moduleformat.info.compare_versions): 0.4 < 0.4.01 < 0.5.
"""

from __future__ import annotations

import re

from provhost.moduleformat.info import is_version

_INFO_VERSION = re.compile(r"^(\s*version\s*[=:]\s*)(\S+)(\s*)$", re.IGNORECASE | re.MULTILINE)


def is_development(version: str) -> bool:
    last = version.split(".")[-1]
    return len(version.split(".")) >= 2 and len(last) == 2 and last[0] == "0" and last != "00"


def bump(version: str, *, release: bool = False) -> str:
    if not is_version(version):
        raise ValueError(f"not a version: {version!r}")
    parts = version.split(".")
    if is_development(version):
        if release:
            base = parts[:-1]
            return ".".join([*base[:-1], str(int(base[-1]) + 1)])
        n = int(parts[-1]) + 1
        if n > 9:
            raise ValueError(f"{version}: nine development versions used; release it with "
                             f"--release ({bump(version, release=True)})")
        return ".".join([*parts[:-1], f"{n:02d}"])
    if release:
        return ".".join([*parts[:-1], str(int(parts[-1]) + 1)])
    return f"{version}.01"


def bump_info_text(text: str, *, release: bool = False) -> tuple[str, str, str]:
    """The info file with its version bumped in place: (new text, old, new version)."""
    m = _INFO_VERSION.search(text)
    if m is None:
        raise ValueError("info has no version line")
    old = m.group(2)
    new = bump(old, release=release)
    return text[: m.start(2)] + new + text[m.end(2):], old, new
