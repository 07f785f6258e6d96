"""The pure parts of the web administration: password hashing and files, sessions with idle
expiry, the CSRF check, the login throttle and its fail2ban line, the CSV import plan."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from provhost.paths import Paths
from provhost.service import Service
from provhost.web import csv_import
from provhost.web.auth import (
    HASH_FILE,
    INITIAL_PASSWORD_FILE,
    AdminPassword,
    Sessions,
    check_password,
    csrf_ok,
    hash_password,
)
from provhost.web.http import Response
from provhost.web.throttle import LoginPolicy, LoginThrottle

FAST = {"n": 2**4, "r": 1, "p": 1}  # the format is the same; tests need no 16 MiB rounds


def test_hash_is_salted_and_checks() -> None:
    a, b = hash_password("secret-one", **FAST), hash_password("secret-one", **FAST)
    assert a != b and a.startswith("scrypt$16$1$1$")  # salted: same password, other hash
    assert check_password("secret-one", a) and check_password("secret-one", b)
    assert not check_password("secret-two", a)
    assert not check_password("secret-one", "garbage") and not check_password("x", "")
    assert "secret-one" not in a


def test_admin_password_created_once_then_only_the_hash(tmp_path: Path) -> None:
    pw = AdminPassword(tmp_path)
    pw.ensure()
    initial = (tmp_path / INITIAL_PASSWORD_FILE).read_text().strip()
    assert len(initial) >= 16
    for name in (INITIAL_PASSWORD_FILE, HASH_FILE):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert initial not in (tmp_path / HASH_FILE).read_text()
    again = AdminPassword(tmp_path)
    again.ensure()  # a restart keeps the password
    assert again.check(initial) and not again.check(initial + "x")
    assert again.is_initial
    with pytest.raises(ValueError, match="at least 10"):
        again.change("short")
    again.change("a much better password")
    assert not (tmp_path / INITIAL_PASSWORD_FILE).exists() and not again.is_initial
    assert again.check("a much better password") and not again.check(initial)
    AdminPassword(tmp_path).ensure()  # no new password appears after the change
    assert not (tmp_path / INITIAL_PASSWORD_FILE).exists()


def test_sessions_expire_when_idle_and_are_bounded() -> None:
    sessions = Sessions(idle_timeout=100)
    s = sessions.create(0)
    assert sessions.get(s.sid, 90) is s  # a request keeps it alive...
    assert sessions.get(s.sid, 180) is s
    assert sessions.get(s.sid, 281) is None  # ...101 s of silence ends it
    assert sessions.get(s.sid, 282) is None and sessions.get(None, 0) is None
    many = [sessions.create(0) for _ in range(300)]
    assert sessions.get(many[0].sid, 1) is None and sessions.get(many[-1].sid, 1) is not None


def test_csrf_token_compared_exactly() -> None:
    s = Sessions().create(0)
    assert csrf_ok(s, s.csrf)
    assert not csrf_ok(s, None) and not csrf_ok(s, "") and not csrf_ok(s, s.csrf[:-1])
    assert not csrf_ok(s, "\u00e9" + s.csrf)


def test_cookie_flags() -> None:
    r = Response()
    r.set_cookie("provhost_session", "abc", secure=False)
    r.set_cookie("provhost_session", "abc", secure=True)
    plain, secure = (v.decode() for _, v in r.headers)
    assert plain == "provhost_session=abc; Path=/; HttpOnly; SameSite=Strict"
    assert secure == plain + "; Secure"


def test_login_throttle_locks_out_after_five_and_logs_once() -> None:
    t = LoginThrottle(LoginPolicy(max_failures=5, window=300, lockout=60))
    lines = [t.failed("192.0.2.7", float(i)) for i in range(5)]
    assert lines[:4] == [None] * 4
    assert lines[4] == ("provhost: web login failures from 192.0.2.7: 5 wrong passwords in "
                        "300s; throttled for 60s")
    assert t.retry_after("192.0.2.7", 4.5) == 60
    assert t.retry_after("192.0.2.8", 4.5) == 0  # other addresses are not affected
    assert t.retry_after("192.0.2.7", 64.5) == 0  # the lockout ends


def test_login_throttle_window_slides_and_success_resets() -> None:
    t = LoginThrottle(LoginPolicy(max_failures=3, window=10, lockout=60))
    assert t.failed("a", 0) is None and t.failed("a", 1) is None
    assert t.failed("a", 20) is None  # the first two fell out of the window
    t.succeeded("a")
    assert t.failed("a", 21) is None and t.failed("a", 22) is None
    assert t.failed("a", 23) is not None


def test_login_throttle_memory_is_bounded() -> None:
    t = LoginThrottle(LoginPolicy(max_tracked=100))
    for i in range(1000):
        t.failed(f"10.0.{i // 256}.{i % 256}", 0)
    assert len(t._by_ip) == 100


def test_csv_plan_reports_every_row_and_writes_nothing(paths: Paths) -> None:
    svc = Service(paths)
    svc.user_add("alice", "Alice")
    svc.line_add("10", user="alice")
    text = ("Username,FullName,Extension,MAC,Phone_Type\n"
            "alice,,11,00:15:65:00:00:09,yealink_t46\n"
            "bob,Bob,10,,\n"
            "carol,Carol,12,001565000009,polycom_vvx400\n"
            ",,,,\n"
            "dave,Dave,1x,nothex,no_such_type\n"
            ",,,,yealink_t46\n")
    plan = csv_import.plan(svc, text)
    assert not plan.ok
    by_line = {r.number: r for r in plan.rows}
    assert by_line[2].errors == [] and "use user alice" in by_line[2].actions
    assert "add phone 00:15:65:00:00:09 (yealink_t46, yealink)" in by_line[2].actions
    assert by_line[3].errors == ["extension 10 exists already (or twice in the file)"]
    assert "exists with type yealink_t46" in by_line[4].errors[0]
    assert len(by_line[6].errors) == 2 and by_line[6].errors[0].startswith("mac:")
    assert "extension" in by_line[6].errors[1]
    assert by_line[7].errors == ["the row names no user, phone or extension"]
    assert 5 not in by_line  # blank lines are skipped
    _, done = csv_import.apply(svc, text)
    assert done == [] and svc.store.find_user("bob") is None
    assert csv_import.plan(svc, "nope,col\n1,2\n").errors[0].startswith("unknown column(s) nope")
    assert csv_import.plan(svc, "").errors
    svc.close()
