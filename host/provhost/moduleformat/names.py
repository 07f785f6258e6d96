"""The naming rules shared by every module file.

Identifiers end up in file names (firmware/<slot>.sh, resync/<name>.php), URLs and PHP
variables, so they are deliberately narrow: a rule broken here is a path traversal or a
PHP syntax error somewhere else.
"""

from __future__ import annotations

import re

# Phone type and firmware slot identifiers, module ids, script base names.  Starting with a
# letter or digit keeps "." and ".." (and hidden files) out; 64 characters is plenty.
IDENT_MAX = 64
IDENT_RE = re.compile(r"[a-z0-9][a-z0-9_.-]*")

# Option names become PHP variables ($model), so they follow PHP's identifier rule (ASCII).
OPTION_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# A script base name referenced by an option (RESYNC, DIALPLAN_TYPE, SCRIPT): like an
# identifier but upper case is allowed (RESYNC=SIPNOTIFY names a built-in method).
SCRIPT_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def is_identifier(text: str) -> bool:
    """True for a valid phone type / firmware slot / module identifier."""
    return len(text) <= IDENT_MAX and IDENT_RE.fullmatch(text) is not None


def is_option_name(text: str) -> bool:
    return OPTION_NAME_RE.fullmatch(text) is not None


def is_script_name(text: str) -> bool:
    """True when `text` can safely be used as a file base name inside the module."""
    return len(text) <= IDENT_MAX and SCRIPT_NAME_RE.fullmatch(text) is not None

# A module's boot-sequence tests (provhost.moduletest): never installed into the sandbox
# nor served, so the registry and the image builder must know the name too.
TESTS_DIR = "tests"
