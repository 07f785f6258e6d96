"""MAC-scan detection (provhost.chain.scan_guard), pure: a fake clock, no server.

What a scanner does (many distinct unknown MACs, many 404s from one address) trips it,
once per offence, with the fail2ban line; what phones do (a building booting at once,
each asking its own few files) never does; memory stays bounded under any traffic."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from provhost.chain.scan_guard import (
    Allow,
    Offence,
    ScanGuard,
    ScanPolicy,
    Throttle,
    mac_in_path,
    unknown_mac,
)

SCANNER = "192.0.2.7"
FAIL2BAN = re.compile(r"^.*provhost: mac-scan suspected from (?P<host>[0-9a-fA-F.:]+):")


def _mac(n: int) -> str:
    return f"0004f2{n:06x}"


def _scan(guard: ScanGuard, ip: str, now: float, count: int, *, start: int = 0,
          outcome: str = "served") -> list[Offence]:
    """`count` requests from `ip`, each naming a different unknown MAC."""
    offences = []
    for i in range(start, start + count):
        if isinstance(guard.decide(ip, now), Throttle):
            continue
        path = f"/Cisco/SPA504G/{_mac(i)}.cfg"
        found = guard.record(ip, now, outcome, unknown_mac(path, status=outcome, phone=None))
        if found is not None:
            offences.append(found)
    return offences


# ---------------------------------------------------------------- what counts as a MAC
@pytest.mark.parametrize(("path", "mac"), [
    ("/Cisco/SPA504G/0004F2ABCDEF.cfg", "0004f2abcdef"),
    ("/SEP0004F2ABCDEF.cnf.xml", "0004f2abcdef"),
    ("/polycom-vvx410-0004f2abcdef.cfg", "0004f2abcdef"),
    ("/0004f2abcdef-boot.log", "0004f2abcdef"),
    ("/000000000000.cfg", None),  # Polycom's model-wide file
    ("/y000000000028.cfg", None),  # Yealink's model-wide file
    ("/prov/cisco-spa/logo/main/0123456789abcdef.bmp", None),  # a 16-digit content id
    ("/spa504G.cfg", None),
    ("/ffffffffffff.cfg", None),
])
def test_mac_in_path(path: str, mac: str | None) -> None:
    assert mac_in_path(path) == mac


def test_unknown_mac_is_notfound_unassociated_or_just_created() -> None:
    path = "/Cisco/SPA504G/0004f2abcdef.cfg"
    assert unknown_mac(path, status="served", phone="0004f2abcdef") is None  # a known phone
    assert unknown_mac(path, status="notfound", phone=None) == "0004f2abcdef"
    assert unknown_mac(path, status="served", phone=None) == "0004f2abcdef"
    assert unknown_mac(path, status="served", phone="0004f2abcdef",
                       phone_created=True) == "0004f2abcdef"
    assert unknown_mac("/spa504G.cfg", status="notfound", phone=None) is None


# ---------------------------------------------------------------- tripping and throttling
def test_twenty_unknown_macs_in_a_minute_throttle_the_address() -> None:
    guard = ScanGuard()
    assert _scan(guard, SCANNER, 100.0, 19) == []
    assert guard.decide(SCANNER, 100.0) == Allow()
    [offence] = _scan(guard, SCANNER, 101.0, 5, start=19)  # only the 20th trips it
    assert (offence.unknown_macs, offence.not_found, offence.cooldown) == (20, 0, 300.0)
    assert offence.log_line == ("provhost: mac-scan suspected from 192.0.2.7: 20 unknown "
                                "MACs, 0 not-found in 60s; throttled for 300s")
    assert FAIL2BAN.match("2026-01-01 12:00:00,000 WARNING provhost.scan: "
                          + offence.log_line)["host"] == SCANNER
    assert guard.decide(SCANNER, 101.0) == Throttle(300)
    assert guard.decide(SCANNER, 400.5) == Throttle(1)
    assert guard.decide(SCANNER, 401.0) == Allow()
    assert guard.decide("192.0.2.8", 101.0) == Allow()  # only that address


def test_fifty_not_found_answers_throttle_the_address() -> None:
    guard = ScanGuard()
    for i in range(49):
        assert guard.record(SCANNER, i * 0.5, "notfound", None) is None
    offence = guard.record(SCANNER, 30.0, "notfound", None)
    assert offence is not None and (offence.unknown_macs, offence.not_found) == (0, 50)
    assert isinstance(guard.decide(SCANNER, 31.0), Throttle)


def test_the_window_slides() -> None:
    guard = ScanGuard()
    assert _scan(guard, SCANNER, 0.0, 19) == []
    assert _scan(guard, SCANNER, 60.0, 19, start=100) == []  # the first 19 have left
    for _ in range(49):
        assert guard.record(SCANNER, 200.0, "notfound", None) is None
    assert guard.record(SCANNER, 260.5, "notfound", None) is None
    assert guard.decide(SCANNER, 261.0) == Allow()


def test_one_mac_asked_again_and_again_is_one_mac() -> None:
    guard = ScanGuard()
    for t in range(1000):
        assert guard.record(SCANNER, t * 0.01, "served", _mac(1)) is None
    assert guard.decide(SCANNER, 10.0) == Allow()


def test_known_phones_and_served_files_are_not_counted() -> None:
    guard = ScanGuard()
    for _ in range(500):
        assert guard.record(SCANNER, 1.0, "served", None) is None
        assert guard.record(SCANNER, 1.0, "rejected", None) is None
    assert guard.footprint() == 0  # nothing suspicious: no state at all


def test_one_log_line_per_throttle_even_for_late_requests() -> None:
    """Requests admitted before the throttle began may finish after it: not an offence."""
    guard = ScanGuard()
    offences = _scan(guard, SCANNER, 0.0, 20)
    assert len(offences) == 1
    for i in range(100):
        assert guard.record(SCANNER, 1.0, "notfound", _mac(500 + i)) is None


def test_repeated_offences_double_the_cooldown_up_to_the_cap() -> None:
    guard = ScanGuard(ScanPolicy(cooldown=300, max_cooldown=2000, forget_after=10_000))
    now, cooldowns = 0.0, []
    for _ in range(5):
        [offence] = _scan(guard, SCANNER, now, 20)
        cooldowns.append(offence.cooldown)
        assert guard.decide(SCANNER, now + offence.cooldown - 1) == Throttle(1)
        now += offence.cooldown
        assert guard.decide(SCANNER, now) == Allow()
    assert cooldowns == [300, 600, 1200, 2000, 2000]
    [offence] = _scan(guard, SCANNER, now + 10_000, 20)  # quiet long enough: forgiven
    assert (offence.cooldown, offence.offences) == (300, 1)


def test_counting_starts_afresh_after_a_throttle() -> None:
    guard = ScanGuard()
    _scan(guard, SCANNER, 0.0, 20)
    assert _scan(guard, SCANNER, 300.0, 19, start=1000) == []


def test_exempt_networks_are_never_throttled() -> None:
    guard = ScanGuard(ScanPolicy(exempt=("10.1.0.0/16", "2001:db8::/32")))
    for ip in ("10.1.2.3", "2001:db8::5", "::ffff:10.1.9.9"):
        assert _scan(guard, ip, 0.0, 200, outcome="notfound") == []
        assert guard.decide(ip, 0.0) == Allow()
    assert guard.is_exempt("10.1.0.1") and not guard.is_exempt("10.2.0.1")
    assert guard.footprint() == 0
    assert len(_scan(guard, "10.2.0.1", 0.0, 20)) == 1


def test_ipv4_mapped_ipv6_is_the_same_client() -> None:
    guard = ScanGuard()
    _scan(guard, "::ffff:192.0.2.7", 0.0, 10)
    [offence] = _scan(guard, SCANNER, 0.0, 10, start=10)
    assert offence.ip == SCANNER
    assert isinstance(guard.decide("::ffff:192.0.2.7", 1.0), Throttle)


def test_ipv6_scanner_line_matches_the_filter() -> None:
    guard = ScanGuard()
    [offence] = _scan(guard, "2001:db8::7", 0.0, 20)
    assert FAIL2BAN.match(offence.log_line)["host"] == "2001:db8::7"


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"window": 0}, "window"), ({"max_unknown_macs": 0}, "max_unknown_macs"),
    ({"max_tracked": 0}, "max_tracked"), ({"cooldown": 600, "max_cooldown": 300}, "max_cooldown"),
    ({"exempt": ("10.0.0.0/33",)}, "'10.0.0.0/33'"), ({"exempt": ("office",)}, "'office'"),
])
def test_bad_policy_is_refused_naming_the_field(kwargs: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=re.escape(named)):
        ScanPolicy(**kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- bounded memory
def test_a_flood_of_forged_addresses_costs_a_bounded_table() -> None:
    policy = ScanPolicy(max_tracked=1000, max_penalised=100)
    guard = ScanGuard(policy)
    _scan(guard, SCANNER, 0.0, 20)
    for n in range(50_000):  # every request from a new address, each a 404 on a new MAC
        ip = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        guard.record(ip, 1.0 + n * 1e-4, "notfound", _mac(n))
    assert len(guard._watch) == 1000
    assert guard.footprint() <= guard.max_footprint()
    assert isinstance(guard.decide(SCANNER, 10.0), Throttle)  # not pushed out by the flood


_ops = st.lists(st.tuples(
    st.integers(0, 40),  # which address (few, so windows fill and trip)
    st.floats(0, 30, allow_nan=False),  # time step
    st.sampled_from(["served", "notfound", "rejected", "busy"]),
    st.one_of(st.none(), st.integers(0, 30)),  # unknown MAC named, if any
), max_size=400)


@settings(max_examples=150, deadline=None)
@given(_ops, st.integers(1, 6), st.integers(1, 6), st.integers(1, 8), st.integers(1, 4))
def test_memory_stays_bounded_under_any_traffic(ops: list[tuple[int, float, str, int | None]],
                                                 macs: int, not_found: int, tracked: int,
                                                 penalised: int) -> None:
    policy = ScanPolicy(window=20, max_unknown_macs=macs, max_not_found=not_found,
                        cooldown=5, max_cooldown=40, max_tracked=tracked,
                        max_penalised=penalised)
    guard = ScanGuard(policy)
    now, started = 0.0, 0
    for who, step, outcome, mac in ops:
        now += step
        ip = f"198.51.100.{who}"
        if isinstance(guard.decide(ip, now), Throttle):
            continue
        if guard.record(ip, now, outcome, None if mac is None else _mac(mac)) is not None:
            started += 1
            assert isinstance(guard.decide(ip, now), Throttle)
        assert len(guard._watch) <= tracked and len(guard._penalty) <= penalised
        assert all(len(w.macs) < macs and len(w.not_found) < not_found
                   for w in guard._watch.values())
        assert guard.footprint() <= guard.max_footprint()


# ---------------------------------------------------------------- what phones do
def _boot(vendor: str, mac: str, first: bool) -> list[tuple[str, str, str | None, bool]]:
    """(path, status, phone associated, created) for one boot of one phone, as the bundled
    modules answer it (bench/bootstorm.py replays the same sequences)."""
    if vendor == "cisco":
        return [("/spa504G.cfg", "served", None, False),
                (f"/Cisco/SPA504G/{mac}.cfg", "served", mac, first),
                (f"/prov/cisco-spa/logo/main/{'ab' * 8}.bmp", "served", None, False)]
    if vendor == "yealink":
        return [("/y000000000028.cfg", "notfound", None, False),
                (f"/{mac}.cfg", "served", mac, first)]
    return [(f"/{mac}.cfg", "served", None, False),  # Polycom's master file
            (f"/polycom-vvx410-{mac}.cfg", "served", mac, first),
            (f"/{mac}-directory.xml", "notfound", None, False),
            (f"/{mac}-license.cfg", "notfound", None, False),
            (f"/{mac}-boot.log", "stored", mac, False)]


@settings(max_examples=25, deadline=None)
@given(phones=st.integers(50, 1500), boots=st.integers(1, 4), nat_site=st.integers(1, 8),
       seed=st.integers(0, 2**32 - 1))
def test_a_boot_storm_never_trips_it(phones: int, boots: int, nat_site: int, seed: int) -> None:
    """A whole building (each phone on its own address, first boot creating it) reboots
    `boots` times within one window, requests interleaved at random, plus a small site of
    `nat_site` phones behind one NAT address; nobody is throttled."""
    rng = random.Random(seed)
    guard = ScanGuard()
    plan: list[tuple[str, str, str, str | None, bool]] = []
    for n in range(phones + nat_site):
        ip = "203.0.113.1" if n >= phones else f"10.{n >> 8}.{n & 255}.10"
        vendor = ("cisco", "yealink", "polycom")[n % 3]
        mac = _mac(n)
        for b in range(boots):
            plan += [(ip, *step) for step in _boot(vendor, mac, first=b == 0)]
    rng.shuffle(plan)
    for i, (ip, path, status, phone, created) in enumerate(plan):
        now = 50.0 * i / len(plan)  # everything inside one 60 s window
        assert guard.decide(ip, now) == Allow()
        mac = unknown_mac(path, status=status, phone=phone, phone_created=created)
        assert guard.record(ip, now, status, mac) is None, (ip, path)
