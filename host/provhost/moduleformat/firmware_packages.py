"""The `firmware_packages` file: where a module's firmware comes from, pinned by size and hash.

XiVO modules carry a package list (pkgs.db) naming each firmware package, its vendor URI,
size and checksum; this is provhost's equivalent, on top of Kerio's firmware slots.  A
package fills one slot; an administrator installs it with `provhost firmware install`,
and the host downloads, verifies and feeds it to the slot's preprocessing script exactly
as an upload.

Rules (pure: this module parses and edits text, it never touches the network or disk):

* INI-like, line based.  Whole-line comments start with ``#`` or ``;``.  Two kinds of
  sections: ``[package ID]`` and ``[file NAME]``.  Keys are ``key = value``.
* A package has ``name``, ``slot`` (a firmware_types slot), ``files`` (file names, space
  separated, each with its own ``[file NAME]`` section) and optionally ``licence`` (a text
  file inside the module the administrator must accept before installing).
* A file has one or more ``uri`` lines (http or https, tried in order), and ``size`` (bytes)
  and ``sha256`` (64 hex digits), which `provhost module fw-hash` writes so an author never
  types a hash.  A file without a sha256 is *unverified*: the vendor publishes no checksum
  we can check, so the entry carries none (never an invented one), and it installs only
  with an explicit ``--unverified``.  A sha256 needs a size (the download is bounded by it).
* Package ids: letters, digits, ``. _ -`` (1-64).  File names: the same plus ``+``
  (1-128), no directories: they name the file the slot's script receives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from provhost.moduleformat.model import FormatError

PACKAGES_FILE = "firmware_packages"
MAX_FILE_SIZE = 4 * 1024 ** 3  # no phone firmware comes near 4 GiB
_SECTION = re.compile(r"\[\s*(package|file)\s+([^\]\s]+)\s*\]\s*")
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*(.*)")
_PACKAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_URI = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)
PACKAGE_KEYS = frozenset({"name", "slot", "files", "licence"})
FILE_KEYS = frozenset({"uri", "size", "sha256"})


@dataclass(frozen=True)
class PackageFile:
    """One file of a package: where to get it and what it must be."""

    name: str
    uris: tuple[str, ...]
    size: int | None
    sha256: str | None  # lowercase hex; None: unverified (no published checksum)
    line: int

    @property
    def verified(self) -> bool:
        return self.sha256 is not None


@dataclass(frozen=True)
class FirmwarePackage:
    """One installable package: the files that, fed to `slot`'s script, fill it."""

    id: str
    name: str
    slot: str
    files: tuple[PackageFile, ...]
    licence: str | None  # module-relative path of the licence text, or None
    line: int

    @property
    def verified(self) -> bool:
        """True when every file is pinned by a hash."""
        return all(f.verified for f in self.files)


@dataclass
class _Section:
    kind: str
    name: str
    line: int
    values: dict[str, list[tuple[str, int]]]


def _sections(text: str, filename: str, errors: list[FormatError]) -> list[_Section]:
    sections: list[_Section] = []
    for index, raw in enumerate(text.splitlines()):
        lineno = index + 1
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        header = _SECTION.fullmatch(stripped)
        if header:
            sections.append(_Section(header.group(1), header.group(2), lineno, {}))
            continue
        if stripped.startswith("["):
            errors.append(FormatError(filename, lineno, f"expected [package ID] or [file NAME], "
                                                        f"found {stripped!r}"))
            continue
        pair = _KEY.fullmatch(stripped)
        if pair is None:
            errors.append(FormatError(filename, lineno, f"expected key = value, found "
                                                        f"{stripped!r}"))
            continue
        if not sections:
            errors.append(FormatError(filename, lineno, "a key before the first section"))
            continue
        key, value = pair.group(1).lower(), pair.group(2).strip()
        sections[-1].values.setdefault(key, []).append((value, lineno))
    return sections


def _single(sec: _Section, key: str, filename: str, errors: list[FormatError]) -> str | None:
    values = sec.values.get(key, [])
    if len(values) > 1:
        errors.append(FormatError(filename, values[1][1], f"{sec.kind} {sec.name}: {key} "
                                                           "given more than once"))
    return values[0][0] if values else None


def _parse_file(sec: _Section, filename: str, errors: list[FormatError]) -> PackageFile | None:
    before = len(errors)
    if not _FILE_NAME.fullmatch(sec.name):
        errors.append(FormatError(filename, sec.line, f"file name {sec.name!r}: letters, digits "
                                                      "and . _ + - only, no directories"))
    for key, values in sec.values.items():
        if key not in FILE_KEYS:
            errors.append(FormatError(filename, values[0][1], f"file {sec.name}: unknown key "
                                                              f"{key!r} (known: uri, size, "
                                                              "sha256)"))
    uris = []
    for value, line in sec.values.get("uri", []):
        if not _URI.fullmatch(value):
            errors.append(FormatError(filename, line, f"file {sec.name}: uri must be an "
                                                      f"http:// or https:// URL, found "
                                                      f"{value!r}"))
        else:
            uris.append(value)
    size: int | None = None
    raw_size = _single(sec, "size", filename, errors)
    if raw_size is not None:
        if not raw_size.isdigit() or not 0 < int(raw_size) <= MAX_FILE_SIZE:
            errors.append(FormatError(filename, sec.values["size"][0][1],
                                      f"file {sec.name}: size must be a number of bytes "
                                      f"(1 to {MAX_FILE_SIZE}), found {raw_size!r}"))
        else:
            size = int(raw_size)
    sha = _single(sec, "sha256", filename, errors)
    if sha is not None:
        if not _SHA256.fullmatch(sha):
            errors.append(FormatError(filename, sec.values["sha256"][0][1],
                                      f"file {sec.name}: sha256 must be 64 hex digits"))
            sha = None
        elif raw_size is None:
            errors.append(FormatError(filename, sec.values["sha256"][0][1],
                                      f"file {sec.name}: a sha256 needs a size (run `provhost "
                                      "module fw-hash`)"))
    if len(errors) > before:
        return None
    return PackageFile(sec.name, tuple(uris), size, sha.lower() if sha else None, sec.line)


def parse_packages(text: str, filename: str = PACKAGES_FILE,
                   errors: list[FormatError] | None = None) -> list[FirmwarePackage]:
    """Every well-formed package; problems go to `errors` (or raise the first if None)."""
    errs: list[FormatError] = [] if errors is None else errors
    sections = _sections(text, filename, errs)
    files: dict[str, PackageFile] = {}
    seen: dict[tuple[str, str], int] = {}
    for sec in sections:
        key = (sec.kind, sec.name)
        if key in seen:
            errs.append(FormatError(filename, sec.line, f"{sec.kind} {sec.name} is declared "
                                                        f"twice (first on line {seen[key]})"))
            continue
        seen[key] = sec.line
        if sec.kind == "file":
            parsed = _parse_file(sec, filename, errs)
            if parsed is not None:
                files[sec.name] = parsed
    packages = []
    for sec in sections:
        if sec.kind != "package" or seen.get(("package", sec.name)) != sec.line:
            continue
        pkg = _parse_package(sec, filename, files, errs)
        if pkg is not None:
            packages.append(pkg)
    if errors is None and errs:
        raise errs[0]
    return packages


def _parse_package(sec: _Section, filename: str, files: dict[str, PackageFile],
                   errors: list[FormatError]) -> FirmwarePackage | None:
    before = len(errors)
    if not _PACKAGE_ID.fullmatch(sec.name):
        errors.append(FormatError(filename, sec.line, f"package id {sec.name!r}: letters, "
                                                      "digits and . _ - only (at most 64)"))
    for key, values in sec.values.items():
        if key not in PACKAGE_KEYS:
            errors.append(FormatError(filename, values[0][1], f"package {sec.name}: unknown key "
                                                              f"{key!r} (known: name, slot, "
                                                              "files, licence)"))
    name = _single(sec, "name", filename, errors)
    slot = _single(sec, "slot", filename, errors)
    names = (_single(sec, "files", filename, errors) or "").split()
    licence = _single(sec, "licence", filename, errors)
    for key, value in (("name", name), ("slot", slot)):
        if not value:
            errors.append(FormatError(filename, sec.line, f"package {sec.name}: {key} is "
                                                          "required"))
    if not names:
        errors.append(FormatError(filename, sec.line, f"package {sec.name}: files is required "
                                                      "(the file names it installs)"))
    for n in names:
        if n not in files:
            errors.append(FormatError(filename, sec.values["files"][0][1],
                                      f"package {sec.name}: no valid [file {n}] section"))
    if licence is not None and (licence.startswith("/") or ".." in licence.split("/")):
        errors.append(FormatError(filename, sec.values["licence"][0][1],
                                  f"package {sec.name}: licence must be a path inside the "
                                  "module"))
    if len(errors) > before:
        return None
    assert name is not None and slot is not None
    return FirmwarePackage(sec.name, name, slot, tuple(files[n] for n in names), licence,
                           sec.line)


def unreferenced_files(text: str, packages: list[FirmwarePackage]) -> list[tuple[str, int]]:
    """[file NAME] sections no package names (probably a typo in `files`)."""
    used = {f.name for p in packages for f in p.files}
    return [(s.name, s.line) for s in _sections(text, PACKAGES_FILE, [])
            if s.kind == "file" and s.name not in used]


def update_file_entries(text: str, measured: dict[str, tuple[int, str]]) -> tuple[str, list[str]]:
    """`text` with each measured file's size and sha256 written in (what fw-hash does).

    Existing ``size``/``sha256`` lines of a ``[file NAME]`` section are replaced in place
    (comments and order are kept); missing ones are added after the header; a file with no
    section gets a new one at the end (its uri still to be filled in by the author).
    Returns the new text and one line per file saying what changed.
    """
    lines = text.splitlines()
    report: list[str] = []
    current: str | None = None
    header_at: dict[str, int] = {}
    found: dict[str, set[str]] = {}
    out: list[str] = []
    for raw in lines:
        stripped = raw.strip()
        header = _SECTION.fullmatch(stripped)
        if header:
            current = header.group(2) if header.group(1) == "file" else None
            out.append(raw)
            if current is not None:
                header_at[current] = len(out) - 1
            continue
        pair = _KEY.fullmatch(stripped) if stripped and stripped[0] not in "#;" else None
        if current in measured and pair and pair.group(1).lower() in ("size", "sha256"):
            key = pair.group(1).lower()
            size, sha = measured[current]
            indent = raw[: len(raw) - len(raw.lstrip())]
            out.append(f"{indent}{key} = {size if key == 'size' else sha}")
            found.setdefault(current, set()).add(key)
            continue
        out.append(raw)
    # missing keys: insert after each header, last header first so indexes stay valid
    for name in sorted(header_at, key=lambda n: header_at[n], reverse=True):
        if name not in measured:
            continue
        size, sha = measured[name]
        missing = [k for k in ("size", "sha256") if k not in found.get(name, set())]
        additions = [f"size = {size}" if k == "size" else f"sha256 = {sha}" for k in missing]
        out[header_at[name] + 1:header_at[name] + 1] = additions
        report.append(f"{name}: size {size}, sha256 {sha}")
    for name in sorted(set(measured) - set(header_at)):
        size, sha = measured[name]
        if out and out[-1].strip():
            out.append("")
        out += [f"[file {name}]", "# uri = https://... (where the vendor publishes it)",
                f"size = {size}", f"sha256 = {sha}"]
        report.append(f"{name}: new [file] section (add its uri and name it in a package's "
                      "files)")
    return "\n".join(out) + "\n", report
