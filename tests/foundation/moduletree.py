"""Build small valid modules on disk for tests."""

from __future__ import annotations

from pathlib import Path


def make_module(root: Path, module_id: str, version: str, *, sequence: str = "5",
                provider: str = "<?php\npassNext();\n") -> Path:
    (root / "providers").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "info").write_text(
        f"id = {module_id}\nname = Test module {module_id}\nversion = {version}\n"
        f"sequence = {sequence}\n"
    )
    (root / "phone_types").write_text('t1 2 "Test phone"\n')
    (root / "providers" / "p.php").write_text(provider)
    (root / "templates" / "main.tpl").write_text("line {$MAC}\n")
    return root
