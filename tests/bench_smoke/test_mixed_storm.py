"""The mixed-vendor boot storm (bench/bootstorm.py --mixed) in miniature, against the test
server: its phones come from every bundled module's boot-sequence files, each boots from
its own loopback address, and every one gets its own configuration from its own module."""

from __future__ import annotations

from collections import Counter

from bench.bootseqs import discover, instantiate
from bench.bootstorm import ROOT, make_mixed_phones, register_boot

from ..loadgen import run_storm
from ..serving.conftest import Running


def test_every_bundled_module_takes_part() -> None:
    templates = discover(ROOT / "modules", ROOT / "bench" / "fixtures" / "bootseq")
    modules = {p.name for p in (ROOT / "modules").iterdir() if (p / "info").is_file()}
    assert set(templates) == modules
    template = templates["panasonic"][0]
    boot = instantiate(template, 7)
    old, new = template.phones[0][0], boot.phones[0][0]
    assert new != old and new[:6] == old[:6]
    mac_steps = [s for s in boot.steps if old[:6].upper() in s.path.upper()]
    assert mac_steps and all(new.upper() in s.path.upper() for s in mac_steps)
    assert not any(old.upper() in s.path.upper() + s.user_agent.upper() for s in boot.steps)


async def test_a_small_mixed_storm_boots_every_phone(server: Running) -> None:
    modules = {p.name for p in (ROOT / "modules").iterdir() if (p / "info").is_file()}
    phones = make_mixed_phones(2 * len(modules), seed=3)
    server.svc.user_add("storm", "Boot Storm")
    for p in phones:
        register_boot(server.svc, p, "storm")
    report = await run_storm(phones, {"http": server.ports.http, "tftp": server.ports.tftp})
    assert report.failed == {} and report.boots_ok == len(phones), dict(report.failures)
    assert Counter(p.vendor for p in phones) == dict.fromkeys(modules, 2)
    for p in phones:  # each phone's configuration was read by its own module
        assert p.boot is not None
        record = server.svc.store.get_phone(p.boot.phones[0][0])
        assert record is not None and record.module_id == p.vendor, (p.vendor, p.model)
