"""`provhost module test SOURCE`: replay a module's boot sequences against a scratch server.

For each runtime asked for, one scratch server (provhost.moduletest.scratch) runs the
module; each sequence then gets a clean installation (users, lines, phones, prefixes,
settings and module states are put back as they were before the previous sequence), its
`setup` commands run through the CLI's own parser and handlers against the server's
Service, and its steps are sent in order from the sequence's own loopback address
(127.0.0.10 for the first sequence, .11 for the next, ...) with real TFTP/HTTP(S)/FTP
clients.  Who answered and for which phone type come from the server's request traces
(the management API's /traces, as an administrator would look them up).  Every difference
is reported per runtime, sequence and step; a step whose request failed does not stop the
sequence (later steps may say more), a failing setup does.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import trio

from provhost.moduleformat.archive import extract_module
from provhost.moduleformat.model import FormatError
from provhost.moduletest import clients
from provhost.moduletest.checks import Outcome, differences
from provhost.moduletest.discover import read_files, read_sequences
from provhost.moduletest.scratch import Scratch, is_bundled_source, scratch_server
from provhost.moduletest.sequence import (
    TESTS_DIR,
    BootSequence,
    Step,
)
from provhost.paths import Paths
from provhost.service import ServiceError

log = logging.getLogger("provhost.moduletest")

RUNTIMES = ("native", "wasm")
FIRST_HOST = 10  # sequence n replays from 127.0.0.(FIRST_HOST + n)
MAX_SEQUENCES = 240


@dataclass
class StepResult:
    index: int
    label: str
    result: str
    detail: str
    module: str | None
    phone_type: str | None
    failures: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0
    notes: list[str] = field(default_factory=list)  # module errors and warnings (trace)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class SequenceResult:
    name: str
    description: str
    client_ip: str
    runtime: str
    setup_error: str | None = None
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.setup_error is None and all(s.ok for s in self.steps)


@dataclass
class Report:
    source: str
    module_id: str | None = None
    version: str | None = None
    runtimes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # invalid files, servers that failed
    sequences: list[SequenceResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.sequences) and all(s.ok for s in self.sequences)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        for seq, raw in zip(self.sequences, out["sequences"], strict=True):
            raw["ok"] = seq.ok
            for step, raw_step in zip(seq.steps, raw["steps"], strict=True):
                raw_step["ok"] = step.ok
        return out

    def render(self) -> str:
        name = " ".join(x for x in (self.module_id or "?", self.version) if x)
        lines = [f"module {name} from {self.source}, runtimes: {', '.join(self.runtimes)}"]
        lines += [f"ERROR: {p}" for p in self.problems]
        for s in self.sequences:
            where = f"[{s.runtime}] {s.name} (from {s.client_ip})"
            if s.ok:
                lines.append(f"ok    {where}: {len(s.steps)} steps")
                continue
            lines.append(f"FAIL  {where}" + (f": {s.description}" if s.description else ""))
            if s.setup_error:
                lines.append(f"      setup: {s.setup_error}")
            for st in s.steps:
                if st.ok:
                    continue
                who = f", answered by {st.module}" if st.module else ""
                lines.append(f"      {st.label}: got {st.result} ({st.detail}{who})")
                lines += [f"        - {f}" for f in st.failures]
                lines += [f"        module said: {n}" for n in st.notes]
        passed = sum(1 for s in self.sequences if s.ok)
        lines.append(f"{passed} of {len(self.sequences)} sequence runs passed"
                     + ("" if not self.problems else f", {len(self.problems)} problems"))
        return "\n".join(lines)


# -- setup through the CLI's own code path -------------------------------------------------
def _run_setup(scratch: Scratch, seq: BootSequence) -> str | None:
    """Run each setup command with the CLI's parser and handler; the first failure."""
    from provhost import cli

    parser, handlers = cli._build_parser()
    for i, args in enumerate(seq.setup, start=1):
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                ns = parser.parse_args(list(args))
        except SystemExit:
            message = err.getvalue().strip().splitlines()
            return f"setup[{i}] {list(args)}: {message[-1] if message else 'usage error'}"
        key = (ns.group,) + ((ns.cmd,) if getattr(ns, "cmd", None) else ())
        try:
            handlers[key](scratch.svc, ns)
        except (ServiceError, ValueError, OSError) as e:
            return f"setup[{i}] {list(args)}: {e}"
        except Exception as e:  # a provhost bug: still one line in the report, not a crash
            log.exception("setup command %s failed", list(args))
            return f"setup[{i}] {list(args)}: internal error {type(e).__name__}: {e}"
    return None


@dataclass
class _Baseline:
    """The installation's state before a sequence, to put back after it."""

    settings: dict[str, str]
    modules: dict[str, tuple[bool, str | None, str | None]]

    @classmethod
    def take(cls, scratch: Scratch) -> _Baseline:
        return cls(scratch.svc.settings(), _module_states(scratch))


def _module_states(scratch: Scratch) -> dict[str, tuple[bool, str | None, str | None]]:
    return {e.id: (e.state.enabled, e.state.sequence, e.state.runtime)
            for e in scratch.svc.registry.entries()}


async def _restore(scratch: Scratch, base: _Baseline) -> None:
    svc = scratch.svc
    for phone in svc.phone_list():
        svc.phone_remove(phone["mac"])
    for line in svc.line_list():
        svc.line_remove(line["telnum"])
    for user in svc.user_list():
        svc.user_remove(user["username"])
    for prefix in svc.prefix_list():
        svc.prefix_remove(prefix)
    for name, value in svc.settings().items():
        if base.settings.get(name) != value:
            svc.setting_set(name, base.settings[name])
    now = _module_states(scratch)
    if now != base.modules:
        for mid, (enabled, sequence, runtime) in base.modules.items():
            if now.get(mid) == (enabled, sequence, runtime):
                continue
            (svc.module_enable if enabled else svc.module_disable)(mid)
            svc.module_sequence(mid, sequence)
            svc.module_runtime(mid, runtime)
        await scratch.refresh()


# -- one step ------------------------------------------------------------------------------
async def _send(scratch: Scratch, ip: str, step: Step) -> clients.Reply:
    t = scratch.target
    if step.proto == "tftp":
        if step.is_upload:
            return await clients.tftp_put(t, ip, step.path, step.body or b"")
        return await clients.tftp_get(t, ip, step.path)
    if step.proto == "ftp":
        return await clients.ftp_get(t, ip, step.path)
    credentials = None
    if step.auth_mac is not None:
        try:
            view = scratch.svc.phone_auth_show(step.auth_mac, reveal=True)
        except ServiceError as e:
            return clients.Reply("error", f"auth_mac: {e}")
        if not view.get("password"):
            return clients.Reply("error", f"auth_mac: phone {step.auth_mac} has no provisioning "
                                          "credentials (setup: [\"phone\", \"auth\", MAC, "
                                          "\"on\"])")
        credentials = (view["user"], view["password"])
    return await clients.http_request(t, step.proto == "https", ip, step.method, step.path,
                                      step.user_agent, step.body, credentials)


def _trace_for(scratch: Scratch, ip: str, since: float) -> dict[str, Any] | None:
    """The newest trace of a request from `ip` that started after `since`."""
    for trace in scratch.api("GET", "/traces?limit=100"):
        if trace.get("client") == ip and trace.get("started", 0) >= since:
            return trace
    return None


async def _run_step(scratch: Scratch, ip: str, step: Step,
                    bodies: Path | None = None) -> StepResult:
    started = time.time()
    t0 = time.monotonic()
    try:
        reply = await _send(scratch, ip, step)
    except (OSError, TimeoutError, EOFError) as e:
        reply = clients.Reply("error", f"the request failed: {e}")
    elapsed = (time.monotonic() - t0) * 1000
    # The server stamps a trace when the request arrives, after `started` on the same clock;
    # a request the chain never saw has none, and is not given its predecessor's.
    trace = await trio.to_thread.run_sync(_trace_for, scratch, ip, started)
    outcome = Outcome(reply.result, reply.detail, reply.status, reply.body,
                      module=trace.get("answered_by") if trace else None,
                      phone_type=trace.get("phone_type") if trace else None,
                      trace_found=trace is not None)
    notes = [f"{s.get('module')} {s.get('script')}: {s.get('decision')}: {s.get('detail')}"
             for s in (trace or {}).get("steps", [])
             if s.get("decision") == "error" or "warning" in str(s.get("detail", "")).lower()]
    if bodies is not None and reply.result == "served" and reply.body is not None:
        name = step.path.strip("/").replace("/", "_") or "root"
        target = bodies / f"step{step.index:02d}-{name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(reply.body)
    return StepResult(step.index, step.label(), reply.result, reply.detail, outcome.module,
                      outcome.phone_type, differences(step, outcome), round(elapsed, 2), notes)


async def run_sequence(scratch: Scratch, seq: BootSequence, ip: str,
                       bodies: Path | None = None) -> SequenceResult:
    """Run one sequence from `ip`; with `bodies`, every received body is saved there."""
    result = SequenceResult(seq.name, seq.description, ip, scratch.runtime)
    base = _Baseline.take(scratch)
    try:
        result.setup_error = _run_setup(scratch, seq)
        if result.setup_error is None:
            if _module_states(scratch) != base.modules:
                await scratch.refresh()
            for step in seq.steps:
                result.steps.append(await _run_step(
                    scratch, ip, step,
                    None if bodies is None else bodies / scratch.runtime / seq.name[:-5]))
    finally:
        await _restore(scratch, base)
    return result


# -- the whole module ----------------------------------------------------------------------
async def run_module_tests(source: Path, runtimes: list[str] | tuple[str, ...] = RUNTIMES, *,
                           with_bundled: bool = False, as_bundled: bool | None = None,
                           only: list[str] | None = None,
                           bodies: Path | None = None,
                           files: list[Path] | None = None) -> Report:
    """Replay every sequence of the module at `source` (directory or zip) on each runtime.

    `as_bundled`: None detects it (a directory inside the bundled modules directory);
    `only`: sequence file names to run (default all); `bodies`: a directory to save every
    received body in (RUNTIME/SEQUENCE/stepNN-PATH); `files`: sequence files to run instead
    of the module's own (an administrator's recording of an unusual phone)."""
    source = Path(source)
    report = Report(str(source), runtimes=list(runtimes))
    unknown = [r for r in runtimes if r not in RUNTIMES]
    if unknown:
        report.problems.append(f"unknown runtime {unknown[0]!r}; use native or wasm")
        return report
    with tempfile.TemporaryDirectory(prefix="provhost-sequences-") as tmp:
        try:
            root = extract_module(source, Path(tmp) / "m")
        except FormatError as e:
            report.problems.append(str(e))
            return report
        sequences, problems = read_sequences(root) if files is None else read_files(files)
    report.problems += [str(p) for p in problems]
    if only:
        missing = sorted(set(only) - {s.name for s in sequences})
        report.problems += [f"no valid sequence {n!r} in {TESTS_DIR}/" for n in missing]
        sequences = [s for s in sequences if s.name in only]
    if not sequences and not problems:
        report.problems.append(f"no boot sequences in {TESTS_DIR}/ (files {TESTS_DIR}/NAME.json;"
                               " see docs/module-testing.md)")
    if len(sequences) > MAX_SEQUENCES:
        report.problems.append(f"more than {MAX_SEQUENCES} sequences; only the first run")
        sequences = sequences[:MAX_SEQUENCES]
    if not sequences:
        return report
    if as_bundled is None:
        as_bundled = is_bundled_source(source, Paths.from_env(".").bundled_dir)
    steps = [st for s in sequences for st in s.steps]
    for rt in runtimes:
        try:
            async with scratch_server(source, rt, as_bundled=as_bundled,
                                      with_bundled=with_bundled,
                                      ftp=any(st.proto == "ftp" for st in steps),
                                      https=any(st.proto == "https" for st in steps)) as s:
                report.module_id, report.version = s.module_id, s.version
                for n, seq in enumerate(sequences):
                    report.sequences.append(
                        await run_sequence(s, seq, f"127.0.0.{FIRST_HOST + n}", bodies))
        except Exception as e:  # only the expected kinds are reported, see _why
            why = _why(e)
            if why is None:
                raise
            report.problems.append(f"[{rt}] the scratch server could not run the module: {why}")
    return report


def _why(e: BaseException) -> str | None:
    """The message of an expected failure (also inside trio's exception groups), or None
    for a bug, which should surface as one."""
    if isinstance(e, BaseExceptionGroup):
        parts = [_why(x) for x in e.exceptions]
        return None if None in parts else "; ".join(p for p in parts if p)
    if isinstance(e, (ServiceError, FormatError, OSError, RuntimeError)):
        return str(e)
    return None


def run_cli(a: argparse.Namespace) -> Report:
    if not getattr(a, "verbose", False):  # the scratch server's request log is noise here
        logging.getLogger("provhost").setLevel(logging.WARNING)
        logging.getLogger("provhost.hypercorn").setLevel(logging.WARNING)
    runtimes = list(RUNTIMES) if a.runtime == "both" else [a.runtime]
    return trio.run(lambda: run_module_tests(Path(a.source), runtimes,
                                             with_bundled=a.with_bundled,
                                             only=a.sequence or None,
                                             bodies=Path(a.bodies) if a.bodies else None,
                                             files=[Path(f) for f in a.file] or None))
