"""`provhost module test`: replays against a real scratch server, failures reported by
sequence, step and reason, exit codes, and a module's tests/ never reaching its sandbox.

The fixture module tests/moduletest/fixtures/acme passes all its sequences; the files of
fixtures/failing/ are added to a copy of it to make each kind of failure happen."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from provhost.moduletest.runner import Report, run_module_tests
from provhost.moduletest.scratch import scratch_server
from provhost.paths import Paths
from provhost.prepare import prepare_module
from provhost.service import Service

FIXTURES = Path(__file__).parent / "fixtures"
ACME = FIXTURES / "acme"
PROVHOST = Path(sys.executable).with_name("provhost")


def _failing_copy(tmp: Path) -> Path:
    module = tmp / "acme"
    shutil.copytree(ACME, module)
    for f in (FIXTURES / "failing").glob("*.json"):
        shutil.copy(f, module / "tests" / f.name)
    return module


def _by_name(report: Report) -> dict[str, object]:
    return {s.name: s for s in report.sequences}


async def test_every_failure_is_reported_by_step_and_reason(tmp_path: Path) -> None:
    report = await run_module_tests(_failing_copy(tmp_path), ["native"])
    assert not report.ok
    assert (report.module_id, report.version) == ("acme", "1.0.0")
    # the invalid file is named with its step, and never run
    assert [p.split(":")[0] for p in report.problems] == ["tests/invalid.json"] * 3
    assert "step 2: proto 'gopher'" in report.problems[2]
    seqs = _by_name(report)
    assert [(n, s.ok) for n, s in seqs.items()] == [
        ("auth.json", True), ("disabled.json", True), ("fail.json", False), ("leak.json", True), ("pass.json", True),
        ("protocols.json", True), ("setup_fail.json", False), ("ua.json", True)]
    fail = seqs["fail.json"]
    assert fail.client_ip == "127.0.0.12" and fail.setup_error is None
    assert [(s.index, s.result, s.failures) for s in fail.steps] == [
        (1, "not_found", ["expected served, got not_found (TFTP error 1 (file not found))"]),
        (2, "served", ["expected module 'yealink', the trace says 'acme'",
                       "expected phone_type 'acme_generic', the trace says 'acme_a'",
                       "the body does not contain 'number=\"99\"'",
                       "the body contains '<acme' (line 2)",
                       "line 1 ends with LF, not CRLF"]),
        (3, "served", ["the body does not parse as json: Expecting value: line 1 column 2 "
                       "(char 1)",
                       "no match for the regex '^voicemail = 51'",
                       "the body has CRLF line ends",
                       "the first line is '[acme]', expected '[vendor]'"]),
        (4, "not_found", ["expected served, got not_found (HTTP 404)",
                          "expected HTTP status 200, got 404"]),
        (5, "upload_accepted", ["expected refused, got upload_accepted (HTTP 204)"]),
        (6, "error", ["expected served, got error (auth_mac: phone 0a0000000001 has no "
                      "provisioning credentials (setup: [\"phone\", \"auth\", MAC, \"on\"]))"]),
    ]
    setup = seqs["setup_fail.json"]
    assert setup.steps == [] and setup.setup_error == (
        "setup[1] ['phone', 'add', '0a0000000009', 'no_such_type']: no enabled module has a "
        "phone type 'no_such_type'")
    text = report.render()
    assert "FAIL  [native] fail.json (from 127.0.0.12)" in text
    assert "step 3 (HTTP GET /0a0000000001.ini): got served (HTTP 200, answered by acme)" in text
    assert text.endswith("6 of 8 sequence runs passed, 3 problems")


@pytest.mark.parametrize(("runtime", "as_bundled"), [("native", False), ("wasm", True)])
async def test_the_fixture_passes_as_addon_and_as_bundled(runtime: str, as_bundled: bool) -> None:
    """All sequences pass; leak.json shows the module cannot read, list or send its tests/
    (as an add-on they are not installed; loaded in place, the sandbox gets a copy without
    them), and each sequence's state is gone before the next (ua.json)."""
    report = await run_module_tests(ACME, [runtime], as_bundled=as_bundled)
    assert report.problems == [] and report.ok, report.render()
    assert [(s.name, s.client_ip, len(s.steps)) for s in report.sequences] == [
        ("auth.json", "127.0.0.10", 3), ("disabled.json", "127.0.0.11", 2),
        ("leak.json", "127.0.0.12", 3), ("pass.json", "127.0.0.13", 7),
        ("protocols.json", "127.0.0.14", 4), ("ua.json", "127.0.0.15", 3)]
    assert report.sequences[3].steps[1].phone_type == "acme_a"


async def test_a_module_without_sequences_fails(tmp_path: Path) -> None:
    module = tmp_path / "acme"
    shutil.copytree(ACME, module, ignore=shutil.ignore_patterns("tests"))
    report = await run_module_tests(module, ["native"])
    assert not report.ok and report.problems == [
        "no boot sequences in tests/ (files tests/NAME.json; see docs/module-testing.md)"]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PROVHOST), "--data-dir", str(cwd / "data"), *args],
                          capture_output=True, text=True, check=False, cwd=cwd, timeout=120)


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    ok = _cli("module", "test", str(ACME), "--runtime", "native", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().endswith("6 of 6 sequence runs passed")
    failing = _failing_copy(tmp_path)
    bad = _cli("module", "test", str(failing), "--runtime", "native",
               "--sequence", "fail.json", "--json", cwd=tmp_path)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    doc = json.loads(bad.stdout)
    assert doc["ok"] is False and [s["name"] for s in doc["sequences"]] == ["fail.json"]
    assert [st["ok"] for st in doc["sequences"][0]["steps"]] == [False] * 6
    usage = _cli("module", "test", str(ACME), "--runtime", "jvm", cwd=tmp_path)
    assert usage.returncode == 2


def test_module_check_validates_and_mentions_sequences(tmp_path: Path) -> None:
    clean = _cli("module", "check", str(ACME), cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.splitlines() == [
        f"{ACME}: no problems found",
        f"6 boot sequences in tests/ not run by this check: run `provhost module test {ACME}`"]
    failing = _failing_copy(tmp_path)
    bad = _cli("module", "check", str(failing), cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stdout.splitlines()[0].startswith(
        "tests/invalid.json: error: setup[1]: `provhost phone upload` is not allowed")
    assert "9 boot sequences in tests/" in bad.stdout


def test_tests_are_never_installed(empty_bundled_paths: Paths, tmp_path: Path) -> None:
    """An add-on is installed without tests/, signed or not; the signature covered them."""
    svc = Service(empty_bundled_paths)
    try:
        key = svc.key_generate(tmp_path / "k.pem")
        svc.key_trust("author", key["public_key"])
        signed = tmp_path / "acme.zip"
        svc.module_sign(ACME, tmp_path / "k.pem", signed, "author")
        installed = svc.module_install(signed)  # no allow_unsigned: the signature verifies
        assert installed["signed_by"] == "author"
        root = Path(svc.registry.get("acme").state.path)
        assert (root / "providers" / "acme.php").is_file() and not (root / "tests").exists()
    finally:
        svc.close()


def test_a_module_loaded_in_place_runs_from_a_view_without_tests(tmp_path: Path) -> None:
    (tmp_path / "bundled").mkdir()
    shutil.copytree(ACME, tmp_path / "bundled" / "acme")
    paths = Paths(data_dir=tmp_path / "data", bundled_dir=tmp_path / "bundled")
    svc = Service(paths)
    try:
        entry = svc.registry.get("acme")
        assert (Path(entry.state.path) / "tests").is_dir()
        view = prepare_module(entry, paths).files_dir
        assert not (view / "tests").exists()
        assert (view / "providers" / "acme.php").read_bytes() == (
            ACME / "providers" / "acme.php").read_bytes()
        (tmp_path / "bundled" / "acme" / "providers" / "acme.php").write_text("<?php\n")
        assert prepare_module(entry, paths).files_dir != view  # an edit: a fresh view
    finally:
        svc.close()


async def test_with_bundled_runs_beside_the_chain_replacing_its_namesake(tmp_path: Path) -> None:
    """--with-bundled: every bundled module is there, except that a module with the id of
    the one under test (a developer's copy of it) is replaced by the copy."""
    bundled = Paths.from_env(tmp_path).bundled_dir
    ids = sorted(d.name for d in bundled.iterdir() if (d / "info").is_file())
    copy = tmp_path / "cisco-spa"
    shutil.copytree(bundled / "cisco-spa", copy)
    async with scratch_server(copy, "native", as_bundled=False, with_bundled=True) as s:
        entries = {e.id: e for e in s.svc.registry.entries()}
        assert "acme" not in entries and "cisco-spa" in ids
        assert sorted(entries) == sorted(ids)
        assert entries["cisco-spa"].state.kind == "addon"
        assert all(e.state.kind == "bundled" for i, e in entries.items() if i != "cisco-spa")
    report = await run_module_tests(ACME, ["native"], with_bundled=True)
    assert report.ok, report.render()


async def test_a_zip_runs_like_its_directory(tmp_path: Path) -> None:
    archive = shutil.make_archive(str(tmp_path / "acme"), "zip", ACME)
    report = await run_module_tests(Path(archive), ["native"], only=["ua.json", "nope.json"])
    assert [s.name for s in report.sequences] == ["ua.json"] and report.sequences[0].ok
    assert report.problems == ["no valid sequence 'nope.json' in tests/"] and not report.ok


async def test_an_uninstallable_module_is_one_clear_problem(tmp_path: Path) -> None:
    module = tmp_path / "acme"
    shutil.copytree(ACME, module)
    (module / "phone_types").write_text("acme_a 2 \"unterminated\n")
    report = await run_module_tests(module, ["native"])
    assert not report.ok and report.sequences == []
    assert len(report.problems) == 1 and report.problems[0].startswith(
        "[native] the scratch server could not run the module: invalid module: phone_types:1")


async def test_files_from_outside_replace_the_modules_own(tmp_path: Path) -> None:
    """An administrator's recording, run against a module (here: the fixture)."""
    mine = tmp_path / "my-phone.json"
    shutil.copy(ACME / "tests" / "ua.json", mine)
    report = await run_module_tests(ACME, ["native"], files=[mine, tmp_path / "gone.json"])
    assert [(s.name, s.ok) for s in report.sequences] == [("my-phone.json", True)]
    assert report.problems == [f"{tmp_path / 'gone.json'}: cannot read it: No such file or "
                               "directory"]
