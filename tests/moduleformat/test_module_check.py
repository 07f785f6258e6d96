"""Whole-module loading and `check_module`'s complete problem reports."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from provhost.moduleformat.archive import ArchiveError
from provhost.moduleformat.loader import ModuleInvalid, check_module, load_module

from .helpers import GOOD_MODULE, write_tree


def test_load_good_module_from_zip(tmp_path: Path) -> None:
    z = tmp_path / "spa.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name, content in GOOD_MODULE.items():
            zf.writestr(f"spa-example-1/{name}", content)
    mod = load_module(z, tmp_path / "store")
    assert mod.root == tmp_path / "store"
    assert (mod.info.id, mod.info.version, mod.info.sequence) == ("spa_example", "0.4.01", "4")
    assert [t.ident for t in mod.phone_types] == ["spa502g", "spa504g", "spa525g", "spa_generic"]
    assert mod.phone_type("spa525g").options == {
        "RESYNC": "spa", "SIPNOTIFY_auth": "digest", "DIALPLAN_TYPE": "spa", "FW": "logo_color"}
    assert [f.ident for f in mod.firmware_types] == ["logo_bw", "logo_color", "spa_fw"]
    assert mod.providers == ["providers/spa.php"]
    assert mod.templates == ["spa_main"]
    assert mod.dialplans == ["spa"] and mod.resync_scripts == ["spa"]
    assert mod.firmware_scripts == {"logo": "firmware/logo.sh", "spa_fw": "firmware/spa_fw.php"}
    # spa525g keeps SIPNOTIFY_auth from @set although its RESYNC is a script
    assert [str(w) for w in mod.warnings] == [
        "phone_types:4: warning: spa525g: SIPNOTIFY_* options have no effect without "
        "RESYNC=SIPNOTIFY"]


def test_clean_module_has_no_problems(tmp_path: Path) -> None:
    files = dict(GOOD_MODULE)
    files["phone_types"] = files["phone_types"].replace(" RESYNC=spa", "")
    assert check_module(write_tree(tmp_path / "m", files)) == []


def test_check_reports_every_problem(tmp_path: Path) -> None:
    files = {
        "info": "id = broken\nname = Broken\nversion = one\n",
        "phone_types": (
            "@set RESYNC=SIPNOTIFY\n"
            "a 1 \"A\" FW=nologo\n"
            "b x \"B\"\n"
            "c 1 \"C\" RESYNC=web DIALPLAN_TYPE=nodp\n"
            "d 1 \"D\" RESYNC=SIPNOTIFYX RESYNCH=1\n"
            "e 1 \"E\" FW={$fw}\n"
            "f 1 \"F\" oops\n"
        ),
        "firmware_types": "logo \"Logo\" logo\nfw \"FW\" firmware SCRIPT=shared\n",
        "firmware/shared.sh": "accept_firmware\n",
        "firmware/shared.php": "<?php acceptFirmware();\n",
        "templates/main.tpl": "ok\n@ if (1) {\nbad {$x\n@ }\n",
        "providers/readme.txt": "no php here",
    }
    problems = [str(p) for p in check_module(write_tree(tmp_path / "m", files))]
    assert problems == [
        "info:3: error: key 'version': expected dot-separated numbers like 1.2 or 0.4.01, found "
        "'one'",
        "phone_types:3: error: expected the maximum number of lines (a positive integer up to "
        "1000) after 'b', found 'x'",
        "phone_types:7: error: expected an option NAME=value after the name, found 'oops'",
        "providers/: error: expected at least one provider providers/NAME.php",
        "firmware_types:1: error: slot 'logo' needs a preprocessing script firmware/logo.sh or "
        "firmware/logo.php",
        "firmware_types:2: error: slot 'fw': both firmware/shared.sh and firmware/shared.php "
        "exist; keep only one",
        "phone_types:2: error: a: FW names the firmware slot 'nologo', which firmware_types "
        "does not declare",
        "phone_types:4: error: c: RESYNC=web needs the script resync/web.php",
        "phone_types:4: error: c: DIALPLAN_TYPE=nodp needs the script dialplans/nodp.php",
        "phone_types:5: warning: d: unknown option 'RESYNCH' (custom options should be "
        "lowercase to avoid clashes)",
        "phone_types:5: error: d: unknown built-in resync method 'SIPNOTIFYX' (built-in: "
        "SIPNOTIFY; a script resync/NAME.php needs a lowercase name)",
        "phone_types:6: warning: e: FW='{$fw}' uses an expansion and can only be checked when "
        "expanded",
        "templates/main.tpl:3: error: unterminated expansion starting at column 5 ('{$x'): "
        "expected '}' before the end of the line",
    ]


def test_missing_files_and_bad_encoding(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "m", {"phone_types": b"a 1 \"caf\xe9\"\n",
                                       "providers/p.php": "<?php"})
    problems = [str(p) for p in check_module(root)]
    assert problems == [
        "info: error: the module has no info file",
        "phone_types: error: not valid UTF-8 text (invalid continuation byte at byte 8)",
    ]


def test_check_reports_unsafe_archive(tmp_path: Path) -> None:
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../escape", "x")
    [problem] = check_module(z)
    assert problem.severity == "error" and "'..' component" in problem.message


def test_load_refuses_invalid_module_with_all_problems(tmp_path: Path) -> None:
    files = dict(GOOD_MODULE)
    files["phone_types"] = 'a 1 "A" FW=x\nb 1 "B" DIALPLAN_TYPE=y\n'
    with pytest.raises(ModuleInvalid) as info:
        load_module(write_tree(tmp_path / "m", files), tmp_path / "store")
    assert str(info.value) == (
        "phone_types:1: a: FW names the firmware slot 'x', which firmware_types does not "
        "declare (and 1 more errors)")
    assert len([p for p in info.value.problems if p.severity == "error"]) == 2


def test_load_refuses_unsafe_source(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "m", GOOD_MODULE)
    (src / "templates" / "link.tpl").symlink_to("/etc/passwd")
    with pytest.raises(ArchiveError, match=r"'templates/link\.tpl' is a symbolic link"):
        load_module(src, tmp_path / "store")
