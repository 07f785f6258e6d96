"""Load for tests, built on the boot-storm bench's phone simulation (bench/bootstorm.py).

The bench drives a server in another process from the command line; tests drive the
in-process server of a fixture and need to know *which* phone failed and how, so this
module only adds thin adapters: a storm that keeps one result per phone, and one-shot
requests from an address of the caller's choosing (an attacker's, say), over HTTP or
TFTP, with the bench's own clients.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field

import trio

from bench.bootstorm import (
    HttpConnection,
    Phone,
    Results,
    StepFailure,
    boot,
    make_phones,
    register_phones,
    tftp_get,
)

__all__ = ["Phone", "StormLimits", "StormReport", "get_from", "make_phones", "register_phones",
           "run_storm"]


@dataclass(frozen=True)
class StormLimits:
    """The phones' patience: the bench's defaults (a firmware's retry behaviour)."""

    concurrency: int = 50
    tftp_timeout: float = 2.0
    tftp_retries: int = 3
    http_timeout: float = 10.0

    def as_args(self) -> argparse.Namespace:
        return argparse.Namespace(tftp_timeout=self.tftp_timeout,
                                  tftp_retries=self.tftp_retries,
                                  http_timeout=self.http_timeout)


@dataclass
class StormReport:
    boots: int = 0
    boots_ok: int = 0
    failed: dict[str, list[str]] = field(default_factory=dict)  # "boot N: vendor mac ip" -> kinds
    failures: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    retransmits: int = 0
    seconds: float = 0.0


async def run_storm(phones: list[Phone], ports: dict[str, int],
                    limits: StormLimits = StormLimits(), *,
                    until: trio.Event | None = None) -> StormReport:
    """Boot every phone (the bench's `boot`, content checked); with `until`, each phone
    boots again as soon as it is done (another power cut) until the event is set, so the
    load lasts as long as the caller needs.  One Results per boot: a failure is pinned on
    its phone."""
    report = StormReport()
    limiter = trio.CapacityLimiter(limits.concurrency)
    args = limits.as_args()
    t0 = time.perf_counter()

    async def one(p: Phone) -> None:
        for n in itertools.count(1):
            res = Results()
            await boot(p, res, ports, t0, args, limiter)
            report.boots += 1
            report.requests += len(res.samples)
            report.retransmits += res.retransmits
            report.failures.update(res.failures)
            if res.phones_ok:
                report.boots_ok += 1
            else:
                report.failed[f"boot {n}: {p.vendor} {p.mac} {p.ip}"] = list(res.failures)
            if until is None or until.is_set():
                return

    async with trio.open_nursery() as nursery:
        for p in phones:
            nursery.start_soon(one, p)
    report.seconds = time.perf_counter() - t0
    return report


async def get_from(ip: str, ports: dict[str, int], proto: str, path: str, *,
                   timeout: float) -> tuple[str, bytes]:
    """One request from `ip` on a fresh connection: ("http 404", body), ("tftp content",
    body), ("tftp error 1", message) or ("timeout", b"")."""
    if proto == "tftp":
        try:
            body = await tftp_get(Results(), ip, ports["tftp"], path, timeout=timeout, retries=0)
        except StepFailure as e:
            return ("timeout" if e.kind == "tftp timeout" else e.kind), e.detail.encode()
        return "tftp content", body
    http = HttpConnection(ip, ports["http"])
    try:
        with trio.move_on_after(timeout):
            status, body = await http.get(path, "attacker/1.0")
            return f"http {status}", body
        return "timeout", b""
    except StepFailure as e:
        return e.kind, b""
    finally:
        with trio.CancelScope(shield=True):
            await http.aclose()
