"""Calls of functions that PHP 8 removed (or Kerio deprecated), found in a module's PHP (pure).

provhost defines compatible versions inside the sandbox (sdk-php-shim/compat.php) so that an
old Kerio module runs unchanged; `module check` lists each use with file:line so that its
author can modernise.  A method call (`->each(`, `::split(`) or a definition
(`function each(`) is not a call of the global function and is not listed.
"""

from __future__ import annotations

import re

REPLACEMENTS = {
    "each": "foreach",
    "create_function": "an anonymous function (function () { ... })",
    "split": "preg_split() or explode()",
    "spliti": "preg_split() with the i flag",
    "ereg": "preg_match()",
    "eregi": "preg_match() with the i flag",
    "ereg_replace": "preg_replace()",
    "eregi_replace": "preg_replace() with the i flag",
    "generateDialplan": "dialplans/NAME.php and DIALPLAN_TYPE (Kerio 2.2.2); read $DIALPLAN",
}
_CALL = re.compile(r"(?<![\w$>:\\])(?<!function )(?<!function\s)("
                   + "|".join(sorted(REPLACEMENTS, key=len, reverse=True)) + r")\s*\(",
                   re.IGNORECASE)
_COMMENT = re.compile(r"//.*|#.*")


def legacy_calls(text: str) -> list[tuple[int, str]]:
    """(line, function) of every call of a removed or deprecated function."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        code = _COMMENT.sub("", line)
        for m in _CALL.finditer(code):
            before = code[: m.start()].rstrip()
            if before.endswith("function"):
                continue
            name = next(n for n in REPLACEMENTS if n.lower() == m.group(1).lower())
            found.append((number, name))
    return found
