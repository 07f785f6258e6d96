"""The `provhost` command: real subprocesses, exit codes, JSON output."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from provhost.paths import SOURCE_ROOT

from .moduletree import make_module

PROVHOST = str(SOURCE_ROOT / ".venv" / "bin" / "provhost")


@pytest.fixture
def run(tmp_path: Path):
    env = {**os.environ, "PROVHOST_DATA": str(tmp_path / "data")}

    def _run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PROVHOST, *args], capture_output=True, text=True, env=env,
                              timeout=60)

    return _run


def test_module_list_shows_bundled_modules(run):
    r = run("--json", "module", "list")
    assert r.returncode == 0, r.stderr
    ids = [m["id"] for m in json.loads(r.stdout)]
    assert "cisco-spa" in ids
    human = run("module", "list")
    assert "cisco-spa" in human.stdout and "SEQUENCE" in human.stdout


def test_errors_are_one_line_and_exit_1(run):
    r = run("module", "remove", "cisco-spa")
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0
    assert r.stderr.startswith("provhost: error: cisco-spa is a bundled module")
    r = run("phone", "show", "not-a-mac")
    assert r.returncode == 1 and "expected 12 hexadecimal digits" in r.stderr


def test_usage_mistake_exits_2(run):
    assert run("module", "frobnicate").returncode == 2
    assert run().returncode == 2


def test_keygen_sign_trust_verify_install(run, tmp_path):
    src = make_module(tmp_path / "src", "acme", "1.0")
    key = tmp_path / "key.pem"
    gen = run("--json", "module", "keygen", "-o", str(key))
    assert gen.returncode == 0, gen.stderr
    public = json.loads(gen.stdout)["public_key"]
    signed = tmp_path / "acme.zip"
    assert run("module", "sign", str(src), "--key", str(key), "-o", str(signed)).returncode == 0
    # not trusted yet
    r = run("module", "verify", str(signed))
    assert r.returncode == 1 and "not a trusted key" in r.stderr
    assert run("module", "trust", "acme-key", public).returncode == 0
    r = run("--json", "module", "verify", str(signed))
    assert r.returncode == 0 and json.loads(r.stdout)["signed_by"] == "acme-key"
    r = run("--json", "module", "install", str(signed))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["signed_by"] == "acme-key"
    # unsigned: refused, then allowed and shown as UNSIGNED
    own = make_module(tmp_path / "own", "own", "0.1")
    r = run("module", "install", str(own))
    assert r.returncode == 1 and "not signed" in r.stderr
    assert run("module", "install", "--allow-unsigned", str(own)).returncode == 0
    listing = run("module", "list").stdout
    own_row = next(line for line in listing.splitlines() if " own " in f" {line} ")
    assert "UNSIGNED" in own_row


def test_module_check_reports_problems_and_exit_code(run, tmp_path):
    src = make_module(tmp_path / "src", "acme", "1.0")
    assert run("module", "check", str(src)).returncode == 0
    (src / "phone_types").write_text('t1 two "Bad"\nt2 1 "Also" RESYNC=nosuchscript\n')
    r = run("module", "check", str(src))
    assert r.returncode == 1
    assert "phone_types:1" in r.stdout and "phone_types:2" in r.stdout


def test_phone_user_line_settings_flow(run):
    assert run("user", "add", "alice", "Alice Example").returncode == 0
    r = run("phone", "add", "11:22:33:44:55:66", "spa504g")
    assert r.returncode == 0, r.stderr
    assert run("line", "add", "10", "--user", "alice", "--phone", "112233445566",
               "--sip-password", "s3cret").returncode == 0
    shown = json.loads(run("--json", "phone", "show", "11-22-33-44-55-66").stdout)
    assert shown["module"] == "cisco-spa"
    assert shown["lines"][0]["telnum"] == "10"
    assert shown["lines"][0]["sip_password"] == "s3cret"
    r = run("phone", "add", "112233445577", "nosuchtype")
    assert r.returncode == 1 and "no enabled module has a phone type 'nosuchtype'" in r.stderr
    assert run("settings", "set", "VOICEMAIL_EXT", "70").returncode == 0
    assert run("settings", "get", "VOICEMAIL_EXT").stdout.strip() == "70"
    r = run("settings", "set", "OPERATOR_IP", "not-an-ip")
    assert r.returncode == 1 and "OPERATOR_IP: expected an IP address" in r.stderr
    r = run("settings", "set", "NOPE", "1")
    assert r.returncode == 1 and "unknown setting 'NOPE'" in r.stderr
