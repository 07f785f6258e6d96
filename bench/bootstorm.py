"""Benchmark: a boot storm.  N phones (default 10,000) come up at once after a power cut,
each with its own MAC and its own loopback source address (127.x.y.z: Linux routes all of
127/8 to lo), each replaying its vendor's boot sequence against the bundled modules:

    cisco    TFTP /spa504G.cfg (redirect profile)     -> HTTP /Cisco/SPA504G/<mac>.cfg
    linksys  TFTP /spa941.cfg  (redirect profile)     -> TFTP /Cisco/SPA941/<mac>.cfg
    yealink  HTTP /y0000000000XX.cfg (404: a signal)  -> HTTP /<mac>.cfg (same keep-alive
             connection; the module recognises the phone by the marker on its address)
    polycom  TFTP /<mac>.cfg (master file)            -> HTTP /polycom-<model>-<mac>.cfg

With --mixed, the phones come from data instead: every bundled module's boot-sequence
files (modules/<id>/tests/*.json, or bench/fixtures/bootseq/<id>/ for a module that ships
none), spread evenly over the modules (bench/bootseqs.py), so a module added later joins
the storm without a change here.

Phones are *registered* before the run (one line each, created through the service layer
in a fresh temporary data directory), so every configuration must carry that phone's own
SIP username; the run checks it.  Not a test; loopback only; bounded in count and time.

    .venv/bin/python bench/bootstorm.py [--phones N] [--concurrency C] [--out DIR] [--mixed]

The server runs as a separate process (`provhost serve`), so its peak memory and CPU are
its own: the run samples /proc for the server and every process below it (the sandboxed
PHP workers).  Every unexpected answer is a failure, counted by kind: timeout, TFTP error
code, HTTP status, wrong content, connection error.  Results: printed, DIR/bootstorm.json,
and the latency of every request over time in DIR/bootstorm.png.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bootseqs import Boot, SeqStep, check_body, discover, plan

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SERVER = "127.0.0.1"
BLOCK = 512  # no blksize option: classic 512-byte blocks, as the factory firmwares ask

# vendor -> (MAC prefix, [(phone type, model as the phone names it, Yealink model code)])
VENDORS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "cisco": ("e05fb9", [("spa504g", "SPA504G", ""), ("spa502g", "SPA502G", ""),
                         ("spa509g", "SPA509G", ""), ("spa525g", "SPA525G", "")]),
    "linksys": ("000e08", [("spa941", "SPA941", ""), ("spa942", "SPA942", ""),
                           ("spa962", "SPA962", "")]),
    "yealink": ("001565", [("yealink_t46", "T46G", "28"), ("yealink_t28", "T28P", "00"),
                           ("yealink_t21", "T21P", "34"), ("yealink_t42", "T42G", "29")]),
    "polycom": ("0004f2", [("spip550", "SPIP550", ""), ("vvx400", "VVX400", ""),
                           ("spip331", "SPIP331", "")]),
}


@dataclass
class Phone:
    index: int
    vendor: str
    phone_type: str
    model: str
    code: str
    mac: str
    ip: str
    sip_username: str = ""
    boot: Boot | None = None  # --mixed: registration and steps from a boot-sequence file


@dataclass
class Sample:
    """One finished request: when it ended (s since the storm began), how long it took."""

    proto: str
    end: float
    latency: float
    ok: bool


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    retransmits: int = 0
    phones_ok: int = 0
    phones_failed: int = 0


# ---------------------------------------------------------------- the phones
def source_address(i: int) -> str:
    """A distinct 127.x.y.z per phone, avoiding .0/.255 and the server's 127.0.0.1."""
    return f"127.{1 + i // 62500}.{1 + (i // 250) % 250}.{1 + i % 250}"


def make_phones(n: int, seed: int) -> list[Phone]:
    rng = random.Random(seed)
    vendors = list(VENDORS)
    phones = []
    for i in range(n):
        vendor = vendors[i % len(vendors)]
        prefix, models = VENDORS[vendor]
        phone_type, model, code = rng.choice(models)
        phones.append(Phone(i, vendor, phone_type, model, code,
                            mac=f"{prefix}{i:06x}", ip=source_address(i)))
    rng.shuffle(phones)  # the storm arrives in no particular vendor order
    return phones


def register_phones(data_dir: Path, phones: list[Phone]) -> None:
    """Create every phone with one line through the service layer (what `provhost phone add`
    and `provhost line add --phone` do), before the server starts."""
    from provhost.paths import Paths
    from provhost.service import Service

    svc = Service(Paths.from_env(data_dir))
    try:
        svc.user_add("storm", "Boot Storm")
        for p in phones:
            svc.phone_add(p.mac, p.phone_type)
            line = svc.line_add(str(200000 + p.index), user="storm", phone=p.mac,
                                sip_username=f"bs{p.index:05d}x{p.mac[-4:]}")
            p.sip_username = line["sip_username"]
    finally:
        svc.close()


def make_mixed_phones(n: int, seed: int) -> list[Phone]:
    """n phones from the bundled modules' boot-sequence files (bench/bootseqs.py)."""
    templates = discover(ROOT / "modules", ROOT / "bench" / "fixtures" / "bootseq")
    if not templates:
        raise SystemExit("no module has boot-sequence files (modules/<id>/tests/*.json)")
    phones = []
    for i, b in enumerate(plan(templates, n)):
        mac, ptype = b.phones[0]
        phones.append(Phone(i, b.module, ptype, b.template, "", mac, source_address(i), boot=b))
    random.Random(seed).shuffle(phones)
    return phones


def register_mixed(data_dir: Path, phones: list[Phone]) -> None:
    """Every phone and line of each boot, through the service layer, before the server
    starts (what the sequence files' `setup` does with the CLI)."""
    from provhost.paths import Paths
    from provhost.service import Service

    svc = Service(Paths.from_env(data_dir))
    try:
        svc.user_add("storm", "Boot Storm")
        for p in phones:
            register_boot(svc, p, "storm")
    finally:
        svc.close()


def register_boot(svc: Any, p: Phone, user: str) -> None:
    """One mixed phone's devices and lines, through a provhost Service."""
    assert p.boot is not None
    for mac, ptype in p.boot.phones:
        svc.phone_add(mac, ptype)
    for mac, telnum, sip_user in p.boot.lines:
        svc.line_add(telnum, user=user, phone=mac, sip_username=sip_user)
    p.sip_username = p.boot.lines[0][2] if p.boot.lines else ""


# ---------------------------------------------------------------- a minimal TFTP client
class StepFailure(Exception):
    """One boot step went wrong: `kind` is the failure class reported in the results,
    `detail` the server's own words (a TFTP error message)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


async def tftp_get(res: Results, ip: str, port: int, path: str, *, timeout: float,
                   retries: int) -> bytes:
    """Read one file (octet, 512-byte blocks) from a socket bound to `ip`; retransmit the
    last packet on silence like a phone would.  Raises StepFailure."""
    sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
    with sock:
        await sock.bind((ip, 0))
        last = struct.pack("!H", 1) + path.encode() + b"\0octet\0"
        dest: tuple[str, int] = (SERVER, port)
        peer: tuple[str, int] | None = None
        expected, body = 1, bytearray()
        await sock.sendto(last, dest)
        tries = 0
        while True:
            with trio.move_on_after(timeout) as scope:
                data, addr = await sock.recvfrom(4096)
            if scope.cancelled_caught:
                tries += 1
                if tries > retries:
                    raise StepFailure("tftp timeout")
                res.retransmits += 1
                await sock.sendto(last, peer or dest)
                continue
            if peer is None:
                peer = addr
            elif addr != peer:
                continue  # not our transfer: ignore, as RFC 1350 says
            if len(data) < 4:
                raise StepFailure("tftp malformed answer")
            opcode, number = struct.unpack("!HH", data[:4])
            if opcode == 5:
                message = data[4:].split(b"\0", 1)[0].decode("ascii", "replace")
                raise StepFailure(f"tftp error {number}", message)
            if opcode != 3:
                raise StepFailure(f"tftp unexpected opcode {opcode}")
            if number == expected:
                body += data[4:]
                last = struct.pack("!HH", 4, number)
                await sock.sendto(last, peer)
                tries = 0
                if len(data) - 4 < BLOCK:
                    return bytes(body)
                expected = (expected + 1) & 0xFFFF
            elif number == (expected - 1) & 0xFFFF:
                await sock.sendto(last, peer)  # our ACK was lost: say it again


# ---------------------------------------------------------------- a minimal HTTP/1.1 client
class _IdleClosed(Exception):
    """The connection was gone before any byte of the answer arrived."""


class HttpConnection:
    """One keep-alive connection from the phone's own address; Content-Length framing only
    (what provhost sends).  Errors raise StepFailure."""

    def __init__(self, ip: str, port: int) -> None:
        self.ip, self.port = ip, port
        self.stream: trio.SocketStream | None = None
        self.buf = b""

    async def get(self, path: str, user_agent: str, method: str = "GET",
                  body: bytes = b"") -> tuple[int, bytes]:
        """One request; on a *reused* connection that the server closed while it was idle
        (its keep-alive or read timeout) before any byte of an answer arrived, the request
        is sent again on a new connection, as HTTP clients do (RFC 9112, 9.3.1)."""
        reused = self.stream is not None
        try:
            return await self._once(path, user_agent, method, body)
        except _IdleClosed:
            if not reused:
                raise StepFailure("http connection closed") from None
            await self.aclose()
            self.stream, self.buf = None, b""
            try:
                return await self._once(path, user_agent, method, body)
            except _IdleClosed:
                raise StepFailure("http connection closed") from None

    async def _once(self, path: str, user_agent: str, method: str,
                    body: bytes) -> tuple[int, bytes]:
        if self.stream is None:
            try:
                self.stream = await trio.open_tcp_stream(SERVER, self.port, local_address=self.ip)
            except OSError as e:
                raise StepFailure(f"http connect {type(e).__name__}") from None
        stream = self.stream
        extra = f"Content-Length: {len(body)}\r\n" if method != "GET" else ""
        request = (f"{method} {path} HTTP/1.1\r\nHost: {SERVER}:{self.port}\r\n"
                   f"User-Agent: {user_agent}\r\n{extra}\r\n").encode() + body
        try:
            try:
                await stream.send_all(request)
                chunk = await stream.receive_some(65536)
            except (OSError, trio.BrokenResourceError, trio.ClosedResourceError):
                raise _IdleClosed from None
            if not chunk and not self.buf:
                raise _IdleClosed
            self.buf += chunk
            while b"\r\n\r\n" not in self.buf:
                chunk = await stream.receive_some(65536)
                if not chunk:
                    raise StepFailure("http connection closed")
                self.buf += chunk
            head, _, self.buf = self.buf.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            status = int(lines[0].split(b" ")[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (h.partition(b":") for h in lines[1:])}
            if status == 204:
                return status, b""  # an upload stored: no body
            if b"content-length" not in headers:
                raise StepFailure("http no content-length")
            length = int(headers[b"content-length"])
            while len(self.buf) < length:
                chunk = await stream.receive_some(65536)
                if not chunk:
                    raise StepFailure("http connection closed")
                self.buf += chunk
            body, self.buf = self.buf[:length], self.buf[length:]
            return status, body
        except (OSError, trio.BrokenResourceError, trio.ClosedResourceError) as e:
            raise StepFailure(f"http {type(e).__name__}") from None

    async def aclose(self) -> None:
        if self.stream is not None:
            await self.stream.aclose()


# ---------------------------------------------------------------- the boot sequences
@dataclass
class Step:
    proto: str  # "tftp" | "http"
    path: str
    expect: str  # "content" | "tftp error 1" | "http 404"
    must_contain: tuple[str, ...]


def boot_sequence(p: Phone) -> list[Step]:
    if p.vendor == "cisco":
        return [Step("tftp", f"/spa{p.model[3:]}.cfg", "content", ("/Cisco/$PN/$MA.cfg",)),
                Step("http", f"/Cisco/{p.model}/{p.mac}.cfg", "content",
                     (f"<User_ID_1_ ua=\"na\">{p.sip_username}</User_ID_1_>", p.mac))]
    if p.vendor == "linksys":
        return [Step("tftp", f"/spa{p.model[3:].lower()}.cfg", "content", ("/Cisco/$PN/$MA.cfg",)),
                Step("tftp", f"/Cisco/{p.model}/{p.mac}.cfg", "content",
                     (f"<User_ID_1_ ua=\"na\">{p.sip_username}</User_ID_1_>", p.mac))]
    if p.vendor == "yealink":
        return [Step("http", f"/y0000000000{p.code}.cfg", "http 404", ()),
                Step("http", f"/{p.mac}.cfg", "content",
                     ("#!version:1.0.0.1", f"account.1.user_name = {p.sip_username}"))]
    return [Step("tftp", f"/{p.mac}.cfg", "content", ("CONFIG_FILES=\"polycom-[PHONE_MODEL]",)),
            Step("http", f"/polycom-{p.model}-{p.mac}.cfg", "content",
                 (f"reg.1.auth.userId=\"{p.sip_username}\"", p.mac))]


def user_agent(p: Phone) -> str:
    """What the firmware sends (the Yealink module does not need it: the marker suffices)."""
    mac = ":".join(p.mac[i:i + 2] for i in range(0, 12, 2))
    return {"cisco": f"Cisco/{p.model}-7.6.2 ({p.mac.upper()})",
            "linksys": f"Linksys/{p.model}-5.1.8 ({p.mac.upper()})",
            "yealink": f"Yealink SIP-{p.model} 28.80.0.95 {mac}",
            "polycom": f"FileTransport PolycomSoundPointIP-{p.model}-UA/4.0.15"}[p.vendor]


async def boot(p: Phone, res: Results, ports: dict[str, int], t0: float, args: argparse.Namespace,
               limiter: trio.CapacityLimiter) -> None:
    async with limiter:
        http = HttpConnection(p.ip, ports["http"])
        ok = True
        try:
            steps: list[Step] | list[SeqStep] = (p.boot.steps if p.boot is not None
                                                  else boot_sequence(p))
            for step in steps:
                start = time.perf_counter()
                if isinstance(step, SeqStep):
                    kind = await run_seq_step(step, p, http, res, ports, args)
                else:
                    kind = await run_step(step, p, http, res, ports, args)
                end = time.perf_counter()
                proto = "tftp" if step.proto == "tftp" else "http"
                res.samples.append(Sample(proto, end - t0, end - start, kind is None))
                if kind is not None:
                    res.failures[kind] += 1
                    ok = False
                    break  # a real phone would not go on either
        finally:
            with trio.CancelScope(shield=True):
                await http.aclose()
        if ok:
            res.phones_ok += 1
        else:
            res.phones_failed += 1


async def run_step(step: Step, p: Phone, http: HttpConnection, res: Results,
                   ports: dict[str, int], args: argparse.Namespace) -> str | None:
    """None when the answer is the expected one, else the failure kind."""
    try:
        if step.proto == "tftp":
            try:
                body = await tftp_get(res, p.ip, ports["tftp"], step.path,
                                      timeout=args.tftp_timeout, retries=args.tftp_retries)
            except StepFailure as e:
                if e.kind == step.expect:
                    return None
                return f"{e.kind} ({_generic(e.detail)})" if e.detail else e.kind
            if step.expect != "content":
                return f"tftp content instead of {step.expect}"
        else:
            status = 0
            with trio.move_on_after(args.http_timeout) as scope:
                status, body = await http.get(step.path, user_agent(p))
            if scope.cancelled_caught:
                return "http timeout"
            wanted = 200 if step.expect == "content" else int(step.expect.split()[1])
            if status != wanted:
                return f"http {status} ({_generic(body.decode('utf-8', 'replace'))})"
            if step.expect != "content":
                return None
    except StepFailure as e:
        return e.kind
    text = body.decode("utf-8", "replace")
    if not all(s in text for s in step.must_contain):
        return f"wrong content ({p.vendor} {step.proto})"
    return None


async def run_seq_step(step: SeqStep, p: Phone, http: HttpConnection, res: Results,
                       ports: dict[str, int], args: argparse.Namespace) -> str | None:
    """A step of a boot-sequence file: None when the answer is what the file expects, else
    the failure kind, prefixed with the module (one storm mixes them all)."""
    kind = await _seq_outcome(step, p, http, res, ports, args)
    return None if kind is None else f"{p.vendor}: {kind}"


async def _seq_outcome(step: SeqStep, p: Phone, http: HttpConnection, res: Results,
                       ports: dict[str, int], args: argparse.Namespace) -> str | None:
    try:
        if step.proto == "tftp":
            try:
                body = await tftp_get(res, p.ip, ports["tftp"], step.path,
                                      timeout=args.tftp_timeout, retries=args.tftp_retries)
            except StepFailure as e:
                got = {"tftp error 1": "not_found"}.get(e.kind, "refused")
                if got == step.expect and e.kind.startswith("tftp error"):
                    return None
                return f"{e.kind} ({_generic(e.detail)}) on {_generic(step.path)}"
            status = "served"
        else:
            code = 0
            with trio.move_on_after(args.http_timeout) as scope:
                code, body = await http.get(step.path, step.user_agent, step.method, step.body)
            if scope.cancelled_caught:
                return "http timeout"
            status = ("served" if code == 200 and step.method == "GET" else
                      "upload_accepted" if code in (200, 201, 204) else
                      "not_found" if code == 404 else "refused" if 400 <= code < 500 else
                      f"http {code}")
            if status != step.expect:
                return (f"http {code} instead of {step.expect} on {_generic(step.path)} "
                        f"({_generic(body.decode('utf-8', 'replace'))})")
    except StepFailure as e:
        return e.kind
    if status != step.expect:
        return f"{step.proto} {status} instead of {step.expect} on {_generic(step.path)}"
    return check_body(step, body) if status == "served" else None


def _generic(detail: str) -> str:
    """A server message as a failure class: MACs and numbers out, so like counts with like."""
    detail = re.sub(r"[0-9a-fA-F]{12}", "<mac>", detail.strip())
    return re.sub(r"\d+", "N", detail)[:60]


# ---------------------------------------------------------------- the server process
def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((SERVER, 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, ports: dict[str, int], log: Path,
                 profile: Path | None, processes: int = 1,
                 database: str = "") -> subprocess.Popen[bytes]:
    cmd = [PY, "-m", "provhost.cli"]
    if profile is not None:
        cmd = [PY, "-m", "cProfile", "-o", str(profile), "-m", "provhost.cli"]
    cmd += ["--data-dir", str(data_dir), "serve", "--listen", SERVER,
            "--http-port", str(ports["http"]), "--tftp-port", str(ports["tftp"]),
            "--api-port", str(ports["api"]), "--ftp-port", str(ports["ftp"]),
            "--processes", str(processes)]
    if database:
        cmd[cmd.index("serve"):cmd.index("serve")] = ["--database", database]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


async def wait_ready(proc: subprocess.Popen[bytes], ports: dict[str, int]) -> None:
    """Ready when the TFTP server (started last) answers; one HTTP request warms the pool."""
    res = Results()
    with trio.fail_after(60):
        while True:
            if proc.poll() is not None:
                raise SystemExit("the server exited during start-up; see server.log")
            try:
                await tftp_get(res, SERVER, ports["tftp"], "/spa504G.cfg", timeout=0.5, retries=0)
                break
            except (StepFailure, OSError):
                await trio.sleep(0.2)
        http = HttpConnection(SERVER, ports["http"])
        await http.get("/spa504G.cfg", "warm-up")
        await http.aclose()


class ProcessTreeSampler:
    """Peak memory and CPU of the server process and everything below it (the sandboxed
    workers), read from /proc.  RSS sums count shared pages once per process; PSS divides
    them fairly, so the PSS sum is the tree's real footprint."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.peak_processes = 0
        self.cpu_ticks: dict[int, tuple[str, int]] = {}  # pid -> (comm, utime+stime)
        self.timeline: list[tuple[float, int]] = []  # (time, PSS kB)

    def tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        out, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def sample(self, now: float) -> None:
        rss = pss = 0
        pids = self.tree()
        for pid in pids:
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            for line in rollup.splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat.rsplit(")", 1)[1].split()
            self.cpu_ticks[pid] = (comm, int(fields[11]) + int(fields[12]))
        self.peak_rss_kb = max(self.peak_rss_kb, rss)
        self.peak_pss_kb = max(self.peak_pss_kb, pss)
        self.peak_processes = max(self.peak_processes, len(pids))
        self.timeline.append((now, pss))

    def main_hwm_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    async def run(self, t0: float, every: float = 0.25) -> None:
        while True:
            self.sample(time.perf_counter() - t0)
            await trio.sleep(every)

    def cpu_seconds(self) -> dict[str, float]:
        hz = os.sysconf("SC_CLK_TCK")
        main = self.cpu_ticks.get(self.pid, ("", 0))[1] / hz
        rest = sum(t for pid, (_, t) in self.cpu_ticks.items() if pid != self.pid) / hz
        return {"server_process_cpu_s": round(main, 2), "worker_processes_cpu_s": round(rest, 2),
                "processes_seen": len(self.cpu_ticks)}


# ---------------------------------------------------------------- the run
def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    v = sorted(values)

    def pct(q: float) -> float:
        return round(v[min(len(v) - 1, int(q * len(v)))] * 1000, 2)

    return {"count": len(v), "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "max_ms": round(v[-1] * 1000, 2)}


async def storm(phones: list[Phone], ports: dict[str, int], args: argparse.Namespace,
                sampler: ProcessTreeSampler) -> tuple[Results, float]:
    res = Results()
    limiter = trio.CapacityLimiter(args.concurrency)
    t0 = time.perf_counter()
    async with trio.open_nursery() as outer:
        outer.start_soon(sampler.run, t0)
        with trio.move_on_after(args.time_limit or float("inf")):
            async with trio.open_nursery() as nursery:
                for p in phones:
                    nursery.start_soon(boot, p, res, ports, t0, args, limiter)
        elapsed = time.perf_counter() - t0
        outer.cancel_scope.cancel()
    sampler.sample(elapsed)
    return res, elapsed


def plot(res: Results, sampler: ProcessTreeSampler, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 7), sharex=True,
                                   gridspec_kw={"height_ratios": [3, 1]})
    for proto, colour in (("tftp", "tab:blue"), ("http", "tab:orange")):
        good = [s for s in res.samples if s.proto == proto and s.ok]
        ax1.scatter([s.end for s in good], [s.latency * 1000 for s in good], s=2, alpha=0.35,
                    color=colour, label=f"{proto} ({len(good)})", rasterized=True)
    bad = [s for s in res.samples if not s.ok]
    if bad:
        ax1.scatter([s.end for s in bad], [s.latency * 1000 for s in bad], s=12, marker="x",
                    color="red", label=f"failed ({len(bad)})")
    ax1.set_yscale("log")
    ax1.set_ylabel("request latency (ms, log)")
    ax1.set_title(title)
    ax1.legend(loc="upper right", markerscale=4)
    ax1.grid(True, which="both", alpha=0.3)
    end = max((s.end for s in res.samples), default=1.0)
    bins = [i * 0.5 for i in range(int(end / 0.5) + 2)]
    ax2.hist([s.end for s in res.samples], bins=bins, color="grey",
             weights=[2.0] * len(res.samples))  # per 0.5 s bin -> per second
    ax2.set_ylabel("requests/s")
    ax2.set_xlabel("seconds since the storm began")
    mem = ax2.twinx()
    mem.plot([t for t, _ in sampler.timeline], [k / 1024 for _, k in sampler.timeline],
             color="tab:green")
    mem.set_ylabel("server PSS (MB)", color="tab:green")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phones", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, default=50, help="phones booting at once")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tftp-timeout", type=float, default=2.0, help="seconds per packet")
    ap.add_argument("--tftp-retries", type=int, default=3)
    ap.add_argument("--http-timeout", type=float, default=10.0, help="seconds per request")
    ap.add_argument("--time-limit", type=float, default=0,
                    help="stop the storm after this many seconds (0: none); phones not done "
                         "by then are reported as unfinished")
    ap.add_argument("--profile", action="store_true",
                    help="run the server under cProfile; top functions -> DIR/server_profile.txt")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    ap.add_argument("--processes", type=int, default=1,
                    help="server processes (serve --processes; 0 = one per core)")
    ap.add_argument("--database", default="",
                    help="the server's store: a postgresql:// URL (default: SQLite)")
    ap.add_argument("--mixed", action="store_true",
                    help="phones of every bundled module, each replaying one of its module's "
                         "boot-sequence files (modules/<id>/tests/*.json)")
    args = ap.parse_args()
    if args.database:  # the phones are registered in it, and the server reads it
        os.environ["PROVHOST_DATABASE"] = args.database
    if args.phones > 3 * 62500:
        raise SystemExit("at most 187,500 phones (distinct 127.x.y.z source addresses)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    phones = (make_mixed_phones if args.mixed else make_phones)(args.phones, args.seed)
    data = Path(tempfile.mkdtemp(prefix="provhost-bootstorm-"))
    proc = None
    try:
        t = time.perf_counter()
        (register_mixed if args.mixed else register_phones)(data, phones)
        setup_s = time.perf_counter() - t
        print(f"registered {len(phones)} phones with a line each in {setup_s:.1f} s ({data})")
        ports = {"http": free_port(socket.SOCK_STREAM), "tftp": free_port(socket.SOCK_DGRAM),
                 "api": free_port(socket.SOCK_STREAM), "ftp": free_port(socket.SOCK_STREAM)}
        prof = out / "server.prof" if args.profile else None
        proc = start_server(data, ports, out / "server.log", prof,
                            args.processes or (os.cpu_count() or 1), args.database)
        trio.run(wait_ready, proc, ports)
        sampler = ProcessTreeSampler(proc.pid)
        sampler.sample(0.0)
        idle_pss = sampler.peak_pss_kb
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        res, elapsed = trio.run(storm, phones, ports, args, sampler)
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        hwm = sampler.main_hwm_kb()
        cpu = sampler.cpu_seconds()
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGINT)  # KeyboardInterrupt: clean stop, cProfile dumps
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)

    requests = len(res.samples)
    result = {
        "phones": args.phones,
        "concurrency": args.concurrency,
        "phone_registration": ("registered phones and lines of each boot-sequence file "
                               "(service layer), AUTO_EXTENSION=0" if args.mixed else
                               "registered phones, one line each (service layer), "
                               "AUTO_EXTENSION=0"),
        "mixed": args.mixed,
        "boot_sequences": dict(Counter(f"{p.vendor}/{p.model}" for p in phones))
        if args.mixed else None,
        "vendors": dict(Counter(p.vendor for p in phones)),
        "total_s": round(elapsed, 3),
        "requests": requests,
        "requests_per_s": round(requests / elapsed, 1),
        "phones_per_s": round((res.phones_ok + res.phones_failed) / elapsed, 1),
        "phones_ok": res.phones_ok,
        "phones_failed": res.phones_failed,
        "phones_unfinished (time limit)": args.phones - res.phones_ok - res.phones_failed,
        "failures": dict(res.failures.most_common()),
        "tftp_retransmits": res.retransmits,
        "latency": {proto: percentiles([s.latency for s in res.samples if s.proto == proto])
                    for proto in ("tftp", "http")},
        "server": {
            "main_process_peak_rss_mb (VmHWM)": round(hwm / 1024, 1),
            "tree_peak_rss_mb (sum over processes)": round(sampler.peak_rss_kb / 1024, 1),
            "tree_peak_pss_mb": round(sampler.peak_pss_kb / 1024, 1),
            "tree_pss_mb_before_storm": round(idle_pss / 1024, 1),
            "peak_processes": sampler.peak_processes,
            **cpu,
        },
        "client_cpu_s": round((cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime), 2),
        "cores": os.cpu_count(),
    }
    (out / "bootstorm.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(res, sampler, out / "bootstorm.png",
         f"boot storm: {args.phones} phones, concurrency {args.concurrency}, "
         f"{elapsed:.1f} s, {len(res.failures) and sum(res.failures.values())} failures")
    if args.profile:
        import pstats

        with (out / "server_profile.txt").open("w") as f:
            pstats.Stats(str(out / "server.prof"), stream=f).sort_stats("tottime").print_stats(40)
    print_summary(result)
    print(f"wrote {out / 'bootstorm.json'} and {out / 'bootstorm.png'}")


def print_summary(r: dict[str, Any]) -> None:
    print(f"\n{r['phones']} phones ({', '.join(f'{k} {v}' for k, v in r['vendors'].items())}), "
          f"concurrency {r['concurrency']}, {r['cores']} cores")
    print(f"total {r['total_s']:.2f} s   {r['requests']} requests   "
          f"{r['requests_per_s']:.0f} req/s   {r['phones_per_s']:.0f} phones/s")
    print(f"phones ok {r['phones_ok']}   failed {r['phones_failed']}   unfinished "
          f"{r['phones_unfinished (time limit)']}   "
          f"tftp retransmits {r['tftp_retransmits']}")
    print(f"{'proto':<6} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for proto, lat in r["latency"].items():
        if lat["count"]:
            print(f"{proto:<6} {lat['count']:>7} {lat['p50_ms']:>8.2f} {lat['p95_ms']:>8.2f} "
                  f"{lat['p99_ms']:>8.2f} {lat['max_ms']:>8.2f}")
    print("failures: " + (", ".join(f"{k}: {v}" for k, v in r["failures"].items()) or "none"))
    print("server: " + ", ".join(f"{k} {v}" for k, v in r["server"].items()))
    print(f"client cpu {r['client_cpu_s']} s")


if __name__ == "__main__":
    main()
