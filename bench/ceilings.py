"""Benchmark (not a test): provhost beside the ceilings of its own stack, in one run on one
machine, under one client load.

    .venv/bin/python bench/ceilings.py [--seconds S] [--rounds R] [--warmup W]
                          [--concurrency C] [--setups unsandboxed,native,wasm] [--out FILE]

Every server runs at once, each in its own child process, on loopback; the rows are
measured one at a time, in R interleaved rounds of S/R seconds:

* HTTP ceiling: a trivial ASGI app (1000-byte body) under provhost's hypercorn set-up;
  then GET /Cisco/SPA504G/<mac>.cfg of a registered phone with a line -- the whole chain,
  the cisco-spa provider and its template -- on each PHP set-up.
* TFTP ceiling: a trio UDP server answering the minimal exchange of a single-block read
  (request -> one 512-byte datagram -> ACK); then single-block reads of /spa504G.cfg (the
  SPA redirect profile, also provider + template) on each PHP set-up.

PHP set-ups: "unsandboxed" is the same phpworker with no seccomp, rlimits or namespaces but
the mount namespace the shim's fixed paths need (bench/unsandboxed.py: the cost of nothing);
"native" the product's bubblewrap + seccomp sandbox; "wasm" the
bundled cisco-spa module pinned to the WebAssembly runtime (`provhost module runtime
cisco-spa wasm`).  `ratio` is a row's requests/s over its protocol's ceiling.

Load: C clients, each sending its next request when the previous answer arrived (HTTP:
C keep-alive connections; TFTP: C sockets), from this process (bench/loadgen.py); a
warm-up before each row's first round.  `client cpu` shows that the client was not the
bottleneck.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import loadgen
import servers
from proctree import descendants

SETUP_LABELS = {"unsandboxed": "unsandboxed PHP", "native": "native sandbox",
                "wasm": "wasm runtime"}
HTTP_PATH = f"/Cisco/SPA504G/{servers.MAC}.cfg"
TFTP_PATH = "/spa504G.cfg"
TFTP_EXPECT = b"Profile_Rule"  # the redirect profile's one rule
SETTLE = 0.2  # seconds of unmeasured load when a round comes back to a row (already warm)


@dataclass
class Row:
    """One measured line of the table: a server, the request sent to it, what came back."""

    protocol: str  # "http" or "tftp"
    setup: str  # "ceiling" or a key of SETUP_LABELS
    label: str
    port: int
    path: str
    expect: bytes = b""  # a successful answer holds this
    server_pid: int = 0
    tallies: list[loadgen.Tally] = field(default_factory=list)  # one per round
    ratio: float = 1.0
    workers: dict[str, int] = field(default_factory=dict)  # PHP workers seen, by kind

    def measure(self, seconds: float, warmup: float, concurrency: int) -> None:
        load = loadgen.http_load if self.protocol == "http" else loadgen.tftp_load
        self.tallies.append(load(self.port, self.path, seconds=seconds, warmup=warmup,
                                 concurrency=concurrency, expect=self.expect))

    @property
    def result(self) -> dict[str, float]:
        return loadgen.summarize(self.tallies)


def worker_kinds(server_pid: int) -> dict[str, int]:
    """The PHP workers under a server, by what they really run (read from /proc)."""
    kinds: collections.Counter[str] = collections.Counter()
    for pid in descendants(server_pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"provhost_wasm_worker" in arg for arg in argv):
            kinds["wasm"] += 1
        elif argv[0].endswith(b"phpworker"):
            kinds["unsandboxed" if b"--no-seccomp" in argv else "native"] += 1
    return dict(kinds)


def start_servers(stack: contextlib.ExitStack, setups: list[str], work: Path) -> list[Row]:
    """Every server of the run, up together until `stack` closes; the rows they serve."""
    ports, _ = stack.enter_context(servers.running("asgi", log=work / "asgi.log"))
    rows = [Row("http", "ceiling", "trivial ASGI app (ceiling)", ports["http"], "/x")]
    ports, _ = stack.enter_context(servers.running("echo", log=work / "echo.log"))
    rows.append(Row("tftp", "ceiling", "UDP RRQ/DATA/ACK (ceiling)", ports["udp"], "/x"))
    for runtime in setups:
        data = work / f"data-{runtime}"
        servers.prepare_provhost(data, runtime)
        ports, pid = stack.enter_context(servers.running(
            "provhost", str(data), runtime, log=work / f"provhost-{runtime}.log"))
        label = SETUP_LABELS[runtime]
        rows += [Row("http", runtime, f"SPA config, {label}", ports["http"], HTTP_PATH,
                     servers.SIP_USERNAME, pid),
                 Row("tftp", runtime, f"SPA redirect, {label}", ports["tftp"], TFTP_PATH,
                     TFTP_EXPECT, pid)]
    return rows


def measure(rows: list[Row], a: argparse.Namespace) -> None:
    """`a.rounds` rounds over every row, each round starting one row further on, so that
    whatever else loads the machine meanwhile falls on every row alike."""
    for n in range(a.rounds):
        for row in rows[n % len(rows):] + rows[:n % len(rows)]:
            warmup = a.warmup if n == 0 else min(a.warmup, SETTLE)
            row.measure(a.seconds / a.rounds, warmup, a.concurrency)
    for row in rows:
        if row.setup == "ceiling":
            continue
        row.workers = worker_kinds(row.server_pid)
        if not row.workers.get(row.setup):
            raise SystemExit(f"{row.setup}: no {row.setup} PHP worker ran under the server "
                             f"(saw {row.workers})")


def with_ratios(rows: list[Row]) -> list[Row]:
    ceilings = {r.protocol: r.result["rps"] for r in rows if r.setup == "ceiling"}
    for r in rows:
        r.ratio = r.result["rps"] / ceilings[r.protocol] if ceilings[r.protocol] else 0.0
    return sorted(rows, key=lambda r: r.protocol)  # stable: ceiling first in each protocol


def as_json(r: Row) -> dict[str, Any]:
    """One flat object per row: what it is, then its numbers."""
    return {"protocol": r.protocol, "setup": r.setup, "label": r.label, "ratio": r.ratio,
            "workers": r.workers, **r.result}


def table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'':<5}{'setup':<36}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'fail':>6}"
             f"{'ratio':>7}{'client cpu':>12}"]
    for x in rows:
        lines.append(f"{x['protocol'].upper():<5}{x['label']:<36}{x['rps']:>8.0f}"
                     f"{x['p50_ms']:>9.2f}{x['p99_ms']:>9.2f}{x['failures']:>6}"
                     f"{x['ratio']:>7.2f}{x['client_cpu']:>11.0%}")
    return "\n".join(lines)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=4.0, help="measured time per row")
    ap.add_argument("--rounds", type=int, default=4,
                    help="rounds over all rows, each measuring every row seconds/rounds")
    ap.add_argument("--warmup", type=float, default=1.0,
                    help="unmeasured load before a row's first round")
    ap.add_argument("--concurrency", type=int, default=10,
                    help="clients in flight, HTTP and TFTP (TFTP allows 16 per client IP)")
    ap.add_argument("--setups", default=",".join(SETUP_LABELS),
                    help="PHP set-ups to measure, comma-separated")
    ap.add_argument("--out", help="also write the results here as JSON")
    a = ap.parse_args(argv)
    a.setups = [x for x in a.setups.split(",") if x]
    unknown = set(a.setups) - set(SETUP_LABELS)
    if unknown:
        ap.error(f"unknown set-up {', '.join(sorted(unknown))}; known: {', '.join(SETUP_LABELS)}")
    if a.rounds < 1 or a.seconds <= 0 or a.concurrency < 1:
        ap.error("--rounds and --concurrency must be at least 1, --seconds above 0")
    return a


def run(a: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Measure every row (data directories and server logs in `work`); returns what --out
    writes."""
    with contextlib.ExitStack() as stack:
        rows = start_servers(stack, a.setups, work)
        before, started = load_average(), time.monotonic()
        measure(rows, a)
        wall = time.monotonic() - started
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "load_average_before": before, "load_average_after": load_average(),
            "settings": {k: getattr(a, k) for k in ("seconds", "rounds", "warmup",
                                                    "concurrency")},
            "measuring_seconds": round(wall, 1),
            "rows": [as_json(r) for r in with_ratios(rows)]}


def report(out: dict[str, Any]) -> str:
    s = out["settings"]
    return (f"loopback, {out['cpus']} CPUs, python {out['python']}, load average "
            f"{' '.join(map(str, out['load_average_before']))} before, "
            f"{' '.join(map(str, out['load_average_after']))} after; {s['concurrency']} "
            f"clients; {s['seconds']:g} s per row in {s['rounds']} rounds, after "
            f"{s['warmup']:g} s warm-up\n{table(out['rows'])}")


def main(argv: list[str] | None = None) -> None:
    a = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="provhost-ceilings-"))
    try:
        out = run(a, work)
    except BaseException:
        print(f"ceilings: server logs and data kept in {work}", file=sys.stderr)
        raise
    shutil.rmtree(work)
    print(report(out), flush=True)
    if a.out:
        Path(a.out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
