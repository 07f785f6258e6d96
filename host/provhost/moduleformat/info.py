"""The `info` file: an INI file describing the module, and version ordering.

Rules (configparser's, minus interpolation, plus line numbers in every error):
* ``key = value`` or ``key: value``; keys are case-insensitive (stored lowercase), values
  are stripped and kept verbatim (no quote removal, no ``%`` interpolation, no inline
  comments).  An indented line continues the previous value (joined with a newline).
* Whole-line comments start with ``#`` or ``;``; blank lines are ignored.
* Keys may stand without any section header, or under one ``[module]`` header placed
  before every key.  Any other section is an error.
* Required: id, name, version.  Optional: sequence (digits, default "5"), description,
  paths (glob patterns of the request paths the module answers, path_patterns.py).
  Every other key is kept in ModuleInfo.extra; runtime (native|wasm) and min_provhost
  (a version) are checked when present.
"""

from __future__ import annotations

import re

from provhost.moduleformat.model import FormatError, ModuleInfo
from provhost.moduleformat.names import IDENT_MAX, is_identifier
from provhost.moduleformat.path_patterns import parse_path_patterns

INFO_FILE = "info"
SECTION = "module"
RUNTIMES = ("native", "wasm")
_KEY_RE = re.compile(r"([^=:\s][^=:]*?)\s*[=:]\s*(.*)")
_SECTION_RE = re.compile(r"\[([^\]]*)\]\s*")
_VERSION_RE = re.compile(r"[0-9]+(\.[0-9]+){0,7}")
_SEQUENCE_RE = re.compile(r"[0-9]{1,8}")
RECOMMENDED_KEYS = ("author", "url", "license", "min_provhost", "runtime")


def _read_pairs(text: str, filename: str) -> dict[str, tuple[str, int]]:
    """key -> (value, line).  Raises FormatError for anything that is not INI."""
    pairs: dict[str, tuple[str, int]] = {}
    last_key: str | None = None
    section_seen = False
    for index, raw in enumerate(text.splitlines()):
        lineno = index + 1
        stripped = raw.strip()
        if not stripped:
            last_key = None
            continue
        if stripped[0] in "#;":
            continue
        if raw[0].isspace() and last_key is not None:
            value, line = pairs[last_key]
            pairs[last_key] = ((value + "\n" + stripped).strip(), line)
            continue
        section = _SECTION_RE.fullmatch(stripped)
        if section:
            name = section.group(1).strip()
            if name.lower() != SECTION:
                raise FormatError(
                    filename, lineno,
                    f"unknown section [{name}]: expected [{SECTION}] or no section at all",
                )
            if section_seen or pairs:
                raise FormatError(
                    filename, lineno, f"[{SECTION}] must appear once, before every key"
                )
            section_seen = True
            continue
        match = _KEY_RE.fullmatch(stripped)
        if match is None:
            raise FormatError(filename, lineno, f"expected 'key = value', found {stripped!r}")
        key = match.group(1).strip().lower()
        if key in pairs:
            raise FormatError(
                filename, lineno,
                f"key {key!r} is given twice (first on line {pairs[key][1]})",
            )
        pairs[key] = (match.group(2).strip(), lineno)
        last_key = key
    return pairs


def parse_info(text: str, filename: str = INFO_FILE) -> ModuleInfo:
    """Parse and validate an info file; errors name the key and its line."""
    pairs = _read_pairs(text, filename)

    def required(key: str) -> tuple[str, int]:
        if key not in pairs or not pairs[key][0]:
            line = pairs[key][1] if key in pairs else None
            raise FormatError(filename, line, f"the required key {key!r} is missing or empty")
        return pairs[key]

    ident, line = required("id")
    if not is_identifier(ident):
        raise FormatError(
            filename, line,
            f"key 'id': expected lowercase letters, digits, '_', '.', '-', starting with a "
            f"letter or digit, at most {IDENT_MAX} characters; found {ident!r}",
        )
    name, _ = required("name")
    version, line = required("version")
    if not is_version(version):
        raise FormatError(
            filename, line,
            f"key 'version': expected dot-separated numbers like 1.2 or 0.4.01, found "
            f"{version!r}",
        )
    sequence, line = pairs.get("sequence", ("5", None))
    if not _SEQUENCE_RE.fullmatch(sequence):
        raise FormatError(
            filename, line, f"key 'sequence': expected up to 8 digits, found {sequence!r}"
        )
    description = pairs.get("description", ("", 0))[0]
    paths: tuple[str, ...] = ()
    if "paths" in pairs:
        paths = parse_path_patterns(pairs["paths"][0], filename, pairs["paths"][1])
    extra = {k: v for k, (v, _) in pairs.items()
             if k not in ("id", "name", "version", "sequence", "description", "paths")}
    if "runtime" in extra and extra["runtime"] not in RUNTIMES:
        raise FormatError(
            filename, pairs["runtime"][1],
            f"key 'runtime': expected one of {', '.join(RUNTIMES)}, found {extra['runtime']!r}",
        )
    if "min_provhost" in extra and not is_version(extra["min_provhost"]):
        raise FormatError(
            filename, pairs["min_provhost"][1],
            f"key 'min_provhost': expected a version like 0.1, found {extra['min_provhost']!r}",
        )
    return ModuleInfo(ident, name, version, sequence, description, extra, paths)


def is_version(text: str) -> bool:
    return _VERSION_RE.fullmatch(text) is not None


def version_key(version: str) -> tuple[int, ...]:
    """Sort key: the numeric components with trailing zeros dropped (so 1 == 1.0)."""
    if not is_version(version):
        raise ValueError(f"not a version: {version!r}")
    parts = [int(p) for p in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as a <, ==, > b, comparing dot-separated components as numbers:
    0.4 < 0.4.01 < 0.4.02 < 0.5, 1.9 < 1.10, 0.4.1 == 0.4.01, 1 == 1.0."""
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)
