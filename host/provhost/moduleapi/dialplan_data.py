"""$DIALPLAN_DATA: every extension (max digits that may follow: 0) and every outbound
prefix (-1, "any number of digits"), as the module contract describes.  Pure."""

from __future__ import annotations


def _number_key(n: str) -> tuple[int, int | str, str]:
    return (0, int(n), n) if n.isdigit() else (1, n, n)


def build_dialplan_data(extensions: list[str], prefixes: list[str]) -> list[list[str | int]]:
    """Extensions first (numerically), then prefixes; duplicates dropped."""
    exts = sorted(set(extensions), key=_number_key)
    pres = sorted(set(prefixes) - set(exts), key=_number_key)
    return [[e, 0] for e in exts] + [[p, -1] for p in pres]
