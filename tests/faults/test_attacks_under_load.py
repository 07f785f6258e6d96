"""The hostile-module suite, run inside a boot storm, on every runtime (issue #7).

An attack during a boot storm must not cost a single phone.  The real server runs with
three add-on modules pinned to the runtime under test (the other runtime is the add-on
default, so the pin is what decides): `hostile-first` (sequence 0, before every bundled
module, so every phone request passes through its sandbox), `victim` (sequence 8, holding
a secret file) and `hostile-last` (sequence 9, after the bundled modules).  The hostile
modules attack only on their own paths (/<module id>/<attack>) and pass every other
request on.

300 registered phones replay their vendors' boot sequences (bench/bootstorm.py, content
checked), 20 at a time, each booting again as soon as it is done, for as long as the
attacks last.  Meanwhile one attacker per hostile module fires every attack of
tests/runtime/test_hostile_modules.py plus the server-level ones (sendFile outside the
module, urlopenPhone/connectPhone to a listener of ours) twice, over HTTP and TFTP in
turn, each request from a fresh loopback address (the MAC-scan guard would rightly
throttle one address collecting 404s).  The deadline attack (5 s) has a lane of its own;
after its two rounds, hostile-first gets one deadline attack per worker at once, which
stalls its pool: the chain must skip it rather than make phones wait.  Last, hostile-last
is attacked until quarantined, and then attacked again.

Asserted: every boot of every phone got its own configuration; every attack got a
refusal (404/503 or a TFTP error), never a secret nor a "BREACH" answer; the listener saw
no connection; the modules' files did not change; each attack ran in its sandbox at least
once before any quarantine (its trace step, or for a failure the server's log line naming
module and reason); the flood stalled hostile-first; hostile-last was quarantined and the
attacks on it were answered without asking it; once the server stops, no process it
started is left and this process holds the descriptors it held before.

(A module slow on *every* request is test_slow_module.py's subject.)
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import trio
from provhost.engine import QUARANTINE_AFTER
from provhost.paths import SOURCE_ROOT, Paths
from provhost.runtime.native import NativeConfig

from tests.loadgen import (
    StormLimits,
    StormReport,
    get_from,
    make_phones,
    register_phones,
    run_storm,
)
from tests.proctree import descendants

from .conftest import Running, serving

PHONES = 300
CONCURRENCY = 20  # phones booting at once: the server is saturated, attackers wait < 0.5 s
FIRST, LAST, VICTIM = "hostile-first", "hostile-last", "victim"
VICTIM_SECRET = "victim-secret-7f3a9c"  # the content of the victim module's secret.txt
REFUSALS = {"http 404", "http 503", "tftp error 1", "tftp error 0"}  # not found, busy
ATTACK_TIMEOUT = 30.0  # the attacker's patience: the chain deadline is 15 s


@dataclass(frozen=True)
class Attack:
    """One attack: PHP run inside a provider of the hostile module; `proof` matches the
    outcome that shows it ran and was contained, as "decision: detail" (an error's detail
    is its reason).  A failure must also be in the server's log, naming the module."""

    php: str
    proof: str
    protocols: tuple[str, ...] = ("http", "tftp")

    @property
    def fails(self) -> bool:
        """Ends in an error (logged); a script failure unless the host refused what a
        successful script asked for (sendFile), which quarantine does not count."""
        return self.proof.startswith("error")

    @property
    def counts_toward_quarantine(self) -> bool:
        return self.fails and not self.proof.startswith("error: sendFile")


# Each attack's code; loot() answers "BREACH ..." with what it got, when it got anything.
ATTACKS: dict[str, Attack] = {
    # in an order where no more than two script failures come in a row (see test)
    "socket": Attack("""
        loot('url fopen', file_get_contents('http://127.0.0.1:' . LISTENER_PORT . '/'));
        try { new SplFileObject('http://127.0.0.1:' . LISTENER_PORT . '/'); loot('spl', 'opened'); }
        catch (Throwable $e) {}
        loot('fsockopen', fsockopen('127.0.0.1', LISTENER_PORT));
        """, r"error: .*undefined function fsockopen\(\) in attacks/socket\.php"),
    "exec": Attack("loot('exec', exec('id'));",
                   r"error: .*undefined function exec\(\) in attacks/exec\.php"),
    "shadow": Attack("""
        loot('shadow', file_get_contents('/etc/shadow'));
        ini_set('open_basedir', '/');
        loot('shadow after ini_set', file_get_contents('/etc/shadow'));
        loot('passwd', file_get_contents('/etc/passwd'));
        """, r"notfound: .*/etc/(shadow|passwd)"),
    "proc_open": Attack("loot('proc_open', proc_open('id', [], $pipes));",
                        r"error: .*undefined function proc_open\(\) in attacks/proc_open\.php"),
    "backtick": Attack("loot('backtick', `id`);",
                       r"error: .*undefined function shell_exec\(\) in attacks/backtick\.php"),
    "database": Attack("""
        loot('database', file_get_contents(DATABASE));
        loot('api token', file_get_contents(API_TOKEN));
        loot('database by traversal', file_get_contents('/module/../../../provhost.sqlite'));
        loot('data dir', glob(DATA_DIR . '/*'));
        """, r"notfound: .*(provhost\.sqlite|api-token|data)"),
    "fork_bomb": Attack("while (true) { pcntl_fork(); }",
                        r"error: .*undefined function pcntl_fork\(\) in attacks/fork_bomb\.php"),
    "ffi": Attack("loot('ffi', FFI::cdef('int getpid(void);', 'libc.so.6'));",
                  r'error: .*Class "FFI" not found in attacks/ffi\.php'),
    "other_module": Attack("""
        loot('victim', file_get_contents(VICTIM_FILE));
        loot('victim by traversal', file_get_contents('/module/../' . basename(dirname(VICTIM_FILE)) . '/secret.txt'));
        loot('bundled module', file_get_contents(BUNDLED_FILE));
        loot('victim dir', scandir(dirname(VICTIM_FILE)));
        """, r"notfound: .*(victim|cisco-spa)"),
    "memory": Attack("$a = []; while (true) { $a[] = str_repeat('x', 1 << 20); }",
                     r"error: .*Allowed memory size .* in attacks/memory\.php"),
    # natively the address-space limit ends the process; under wasm the store limit traps
    "memory_unlimited": Attack("""
        ini_set('memory_limit', '-1');
        $a = []; while (true) { $a[] = str_repeat('x', 1 << 20); }
        """, r"error: .*(exited with status|Out of memory)"),
    "proc": Attack("""
        loot('environ', file_get_contents('/proc/self/environ'));
        loot('pid 1', file_get_contents('/proc/1/status'));
        """, r"notfound: .*/proc/"),
    "output": Attack("""
        $chunk = str_repeat('x', 1 << 16);
        for ($i = 0; $i < 200; $i++) { echo $chunk; }
        exit;
        """, r"error: .*more than 8388608 bytes of output"),
    "template_output": Attack("sendTemplate('big');",
                              r"error: .*templates/big\.tpl produced more than 8388608"),
    "ipc_fds": Attack("""
        foreach (['php://fd/3', 'php://fd/4', 'php://stdout', '/dev/fd/4', '/proc/self/fd/4'] as $p) {
            $fh = fopen($p, 'w');
            if ($fh) { fwrite($fh, str_repeat("\\xff", 64)); loot('descriptor', $p); }
        }
        """, r"notfound: .*fopen\("),
    "urlopen": Attack("""
        $fh = urlopenPhone('http', '/', ['host' => '127.0.0.1', 'port' => LISTENER_PORT]);
        if ($fh === false) {  // Kerio's contract: false and a warning, as fopen()
            throw new Exception(error_get_last()['message']);
        }
        loot('urlopenPhone', stream_get_contents($fh));
        """, r"error: .*urlopenPhone\(\) is not available to a provider script"),
    "connect": Attack("loot('connectPhone', connectPhone('tcp', LISTENER_PORT));",
                      r"error: .*connectPhone\(\) is not available to a provider script"),
    "write_module": Attack("""
        loot('write', file_put_contents('/module/providers/p.php', '<?php sendOk();'));
        loot('unlink', unlink('/module/attacks/exec.php'));
        loot('compiled', file_put_contents('/compiled/templates/loot.php', 'x'));
        loot('mkdir', mkdir('/module/x'));
        """, r"notfound: .*(Read-only file system|Operation not permitted)"),
    # natively a SIGSEGV kills the worker; under wasm the instance traps
    "crash": Attack("function f($n) { return array_map('f', [$n + 1]); } f(0);",
                    r"error: .*(killed by a crash \(SIGSEGV|exhausted its stack)"),
    "garbage": Attack("provhost_finish('not msgpack');", r"error: .*protocol violation"),
    "send_file_etc": Attack("sendFile('/etc/shadow');",
                            r"error: sendFile: /etc/shadow is outside what a module may send"),
    "leak_set": Attack("""
        $GLOBALS['leak_global'] = 'x';
        function leak_counter() { static $n = 0; return ++$n; }
        leak_counter(); leak_counter();
        ini_set('precision', '3');
        file_put_contents('/tmp/leak.txt', 'x');
        define('LEAK_CONST', 1);
        class LeakedClass {}
        """, r"notfound: "),
    "send_file_db": Attack("sendFile(DATABASE);",
                           r"error: sendFile: .*provhost\.sqlite is outside what a module may send"),
    "leak_check": Attack("""
        $seen = array_filter([
            'global' => isset($leak_global), 'function' => function_exists('leak_counter'),
            'class' => class_exists('LeakedClass', false), 'ini' => ini_get('precision') !== '14',
            'tmp' => file_exists('/tmp/leak.txt'), 'const' => defined('LEAK_CONST')]);
        loot('state of an earlier request', $seen);
        """, r"notfound: "),
    "send_file_traversal": Attack(
        "sendFile('/module/../' . basename(dirname(VICTIM_FILE)) . '/secret.txt');",
        r"error: sendFile: '/module/\.\./.*' is not an absolute path inside the sandbox"),
    "exit": Attack("exit(3);", r"pass: "),  # exit() is an implicit passNext()
    # in a lane of its own: the deadline holds a worker for 5 s (not over TFTP: the
    # attacker would have to retransmit while it waits, as a phone does)
    "endless": Attack("while (true) {}", r"error: .*time limit", protocols=("http",)),
}
DEADLINE = "endless"
QUICK = [name for name in ATTACKS if name != DEADLINE]

PROVIDER = """<?php
// A hostile module: attacks only on its own paths, passes every other request on.
const PREFIX = '/{module}/';
{constants}
if (strncmp($PATH, PREFIX, strlen(PREFIX)) !== 0) {{
    passNext();
}}
$attack = substr($PATH, strlen(PREFIX));
if (!preg_match('/^[a-z_]+$/', $attack) || !is_file("/module/attacks/$attack.php")) {{
    sendNotFound();
}}

/** Anything the attack got out is answered to the attacker: the test looks for it. */
function loot(string $what, mixed $value): void
{{
    if ($value !== false && $value !== null && $value !== '' && $value !== []) {{
        $GLOBALS['LOOT'] = "BREACH $what: " . (is_string($value) ? $value : json_encode($value));
        sendTemplate('loot');
    }}
}}

include "/module/attacks/$attack.php";
sendNotFound();
"""


def hostile_module(module_id: str, constants: dict[str, str | int]) -> tuple[str, dict[str, str]]:
    php = PROVIDER.format(module=module_id, constants="\n".join(
        f"const {k} = {json.dumps(v)};" for k, v in constants.items()))
    extra = {f"attacks/{name}.php": "<?php\n" + a.php for name, a in ATTACKS.items()}
    extra["templates/loot.tpl"] = "{$LOOT}\n"
    extra["templates/big.tpl"] = "@for ($i = 0; $i < 200; $i++) { echo str_repeat('y', 65536); }\n"
    return php, extra


# ----- the attacker ----------------------------------------------------------------------

@dataclass(frozen=True)
class Reply:
    attack: str
    proto: str
    client: str
    answer: str  # "http 404", "tftp error 1", ...
    body: bytes
    phase: str


@dataclass
class Attacker:
    """Fires attacks at one module, each request from a fresh loopback address."""

    module: str
    subnet: int  # attacker addresses: 127.<subnet>.x.y
    ports: dict[str, int]
    replies: list[Reply] = field(default_factory=list)
    first_deadline: trio.Event = field(default_factory=trio.Event)

    async def fire(self, attack: str, proto: str, phase: str) -> Reply:
        n = len(self.replies) + 1
        client = f"127.{self.subnet}.{1 + (n // 250) % 250}.{1 + n % 250}"
        answer, body = await get_from(client, self.ports, proto, f"/{self.module}/{attack}",
                                      timeout=ATTACK_TIMEOUT)
        reply = Reply(attack, proto, client, answer, body, phase)
        self.replies.append(reply)
        return reply

    async def round(self, names: list[str], turn: int, phase: str) -> None:
        """Each attack once, over its protocols in turn."""
        for i, name in enumerate(names):
            attack = ATTACKS[name]
            await self.fire(name, attack.protocols[(turn + i) % len(attack.protocols)], phase)

    async def quick_rounds(self) -> None:
        await self.round(QUICK, 0, "round 1")
        await self.round(QUICK, 1, "round 2")

    async def deadline_lane(self, *, then_flood: int = 0) -> None:
        """The deadline attack twice, in a lane of its own: it holds a worker for 5 s.
        Then, with `then_flood`, that many at once: with one per worker, every worker is
        held and the pool stalls (the chain must skip it, not wait for it)."""
        await self.fire(DEADLINE, "http", "round 1")
        self.first_deadline.set()
        await self.fire(DEADLINE, "http", "round 2")
        async with trio.open_nursery() as nursery:
            for _ in range(then_flood):
                nursery.start_soon(self.fire, DEADLINE, "http", "flood")

    async def until_quarantined(self, running: Running) -> None:
        """Script failures in a row until the module is quarantined; then every attack
        again."""
        failing = [name for name in QUICK if ATTACKS[name].counts_toward_quarantine]
        for i in range(2 * QUARANTINE_AFTER):
            await self.fire(failing[i % len(failing)], "http", "quarantining")
            modules = {m["id"]: m for m in (await running.api.get("/modules")).json()}
            if modules[self.module]["quarantined"]:
                break
        await self.round(list(ATTACKS), 2, "quarantined")


# ----- what the server says about the attacks ------------------------------------------

class TraceCollector:
    """Module steps of the attackers' requests, read from /api/v1/traces while the storm
    runs (the server keeps only the last 500 traces)."""

    def __init__(self, running: Running, attacker_subnets: set[int]) -> None:
        self.running = running
        self.prefixes = tuple(f"127.{s}." for s in attacker_subnets)
        self.traces: dict[tuple[str, float, str], dict[str, Any]] = {}
        self.stalled: set[tuple[str, float, str]] = set()  # requests that skipped FIRST
        self.passed_on: set[tuple[str, float, str]] = set()  # phones FIRST passed on

    async def poll(self) -> None:
        r = await self.running.api.get("/traces", params={"limit": 500})
        for t in r.json():
            key = (t["client"], t["started"], t["path"])
            if t["client"].startswith(self.prefixes):
                self.traces[key] = t
            first = [s["decision"] for s in t["steps"] if s["module"] == FIRST]
            if "stalled" in first:
                self.stalled.add(key)
            elif first == ["pass"] and t["status"] == "served":
                self.passed_on.add(key)

    async def run(self) -> None:
        while True:
            await self.poll()
            await trio.sleep(0.3)

    def outcomes(self, module: str, attack: str) -> list[str]:
        """ "decision: detail" of every step `module` took on its own path for `attack`."""
        return [f"{s['decision']}: {s['detail']}" for t in self.traces.values()
                if t["path"] == f"/{module}/{attack}"
                for s in t["steps"] if s["module"] == module]


def logged_failures(caplog: pytest.LogCaptureFixture, module: str) -> list[str]:
    """The chain's error log lines about `module`, as "error: reason"."""
    found = []
    for rec in caplog.records:
        if (rec.name == "provhost.chain" and rec.levelno >= logging.ERROR
                and isinstance(rec.args, tuple) and rec.args and rec.args[0] == module):
            found.append(f"error: {rec.args[-1]}")
    return found


# ----- /proc -----------------------------------------------------------------------------

def start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot): with the pid, its identity.
    None once it is gone or a zombie (dead, waiting for its parent to reap it)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


async def still_running(seen: dict[int, str | None]) -> set[int]:
    """The seen processes that are still alive.  A killed worker's sandbox init leaves our
    tree (re-parented) and dies of --die-with-parent a moment later: give it that moment."""
    def alive() -> set[int]:
        return {pid for pid, t in seen.items() if t is not None and start_time(pid) == t}

    with trio.move_on_after(5):
        while alive():
            await trio.sleep(0.05)
    return alive()


async def watch_processes(seen: dict[int, str | None], outside: set[int]) -> None:
    """Every process the server starts (workers: bwrap, the sandbox's init, PHP), by pid
    and start time, so one still alive after the server stopped is found even if it left
    our process tree."""
    while True:
        for pid in descendants(os.getpid()) - outside:
            seen.setdefault(pid, start_time(pid))
        await trio.sleep(0.2)


def fd_targets() -> Counter[str]:
    """This process's descriptors by what they point at ("socket:[]", a file...)."""
    found: Counter[str] = Counter()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed by now
            found[re.sub(r"\[\d+\]", "[]", os.readlink(f"/proc/self/fd/{fd}"))] += 1
    return found


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# ----- the test --------------------------------------------------------------------------

def test_attack_order_never_has_quarantine_count_a_module_out() -> None:
    """Within a round, at most two script failures in a row, so even with the deadline
    lane's failure between them a module is not quarantined before every attack ran."""
    run = longest = 0
    for name in QUICK:
        run = run + 1 if ATTACKS[name].counts_toward_quarantine else 0
        longest = max(longest, run)
    assert longest + 1 < QUARANTINE_AFTER


@pytest.mark.parametrize("runtime", ["native", "wasm"])
async def test_attacks_during_a_boot_storm_cost_no_phone(
        paths: Paths, caplog: pytest.LogCaptureFixture, runtime: str) -> None:
    phones = make_phones(PHONES, seed=11)
    register_phones(paths.data_dir, phones)
    connections: list[str] = []

    async def listener(stream: trio.SocketStream) -> None:
        connections.append(str(stream.socket.getpeername()))
        await stream.aclose()

    outside = descendants(os.getpid())
    gc.collect()  # earlier tests' unreferenced stores close now, not during this one
    fds_before = fd_targets()
    seen_processes: dict[int, str | None] = {}
    other = "native" if runtime == "wasm" else "wasm"  # the pin, not the default, decides
    caplog.set_level(logging.ERROR, logger="provhost.chain")

    async with trio.open_nursery() as outer:
        listeners = await outer.start(partial(trio.serve_tcp, listener, 0, host="127.0.0.1"))
        listener_port = listeners[0].socket.getsockname()[1]
        async with serving(paths, addon_runtime=other) as srv:
            await srv.install(VICTIM, "<?php\npassNext();\n", sequence="8", runtime=runtime,
                              extra={"secret.txt": VICTIM_SECRET})
            victim_file = next(paths.addons_dir.glob(f"{VICTIM}*/secret.txt"))
            constants: dict[str, str | int] = {
                "DATABASE": str(paths.database), "API_TOKEN": str(paths.data_dir / "api-token"),
                "DATA_DIR": str(paths.data_dir), "VICTIM_FILE": str(victim_file),
                "BUNDLED_FILE": str(SOURCE_ROOT / "modules" / "cisco-spa" / "info"),
                "LISTENER_PORT": listener_port}
            for module_id, sequence in ((FIRST, "0"), (LAST, "9")):
                php, extra = hostile_module(module_id, constants)
                await srv.install(module_id, php, sequence=sequence, extra=extra,
                                  runtime=runtime)
            modules = {m["id"]: m for m in (await srv.api.get("/modules")).json()}
            assert [m for m in modules if m in (FIRST, VICTIM, LAST)] == [FIRST, VICTIM, LAST]
            assert all(modules[m]["runs_on"] == runtime for m in (FIRST, VICTIM, LAST))
            files_before = tree_digest(paths.addons_dir), tree_digest(paths.compiled_dir)

            ports = {"http": srv.ports.http, "tftp": srv.ports.tftp}
            attackers = [Attacker(FIRST, 250, ports), Attacker(LAST, 251, ports)]
            collector = TraceCollector(srv, {250, 251})
            attacks_done = trio.Event()
            report = StormReport()

            async def storm() -> None:
                nonlocal report
                report = await run_storm(phones, ports, StormLimits(concurrency=CONCURRENCY),
                                         until=attacks_done)

            async def attack() -> None:
                async with trio.open_nursery() as lanes:
                    lanes.start_soon(partial(attackers[0].deadline_lane,
                                             then_flood=NativeConfig().workers_per_pool))
                    lanes.start_soon(attackers[1].deadline_lane)
                    async with trio.open_nursery() as quick:
                        for a in attackers:
                            quick.start_soon(a.quick_rounds)
                    # Only attackers reach hostile-last (phones are answered before it):
                    # with the quick lanes done and its first deadline attack over, its
                    # failures come in a row.
                    await attackers[1].first_deadline.wait()
                    await attackers[1].until_quarantined(srv)
                attacks_done.set()

            started = time.perf_counter()
            async with trio.open_nursery() as watchers:
                watchers.start_soon(collector.run)
                watchers.start_soon(watch_processes, seen_processes, outside)
                async with trio.open_nursery() as load:
                    load.start_soon(storm)
                    load.start_soon(attack)
                watchers.cancel_scope.cancel()
            attacked_s = time.perf_counter() - started
            await collector.poll()
            modules = {m["id"]: m for m in (await srv.api.get("/modules")).json()}
            token = (paths.data_dir / "api-token").read_text().strip()
            files_after = tree_digest(paths.addons_dir), tree_digest(paths.compiled_dir)
        outer.cancel_scope.cancel()

    quarantined = [m for m in modules if modules[m]["quarantined"]]
    print(f"\n{runtime}: {report.boots} boots of {PHONES} phones in {report.seconds:.1f} s "
          f"({report.requests} requests, {report.retransmits} TFTP retransmits); attacks for "
          f"{attacked_s:.1f} s: " + ", ".join(
              f"{a.module} {Counter(r.phase for r in a.replies)}" for a in attackers)
          + f"; quarantined: {quarantined}; phone requests hostile-first passed on "
          f"{len(collector.passed_on)}, requests that skipped it stalled {len(collector.stalled)}")

    # not a single phone failed, and each got its own configuration (bootstorm checks it)
    assert report.failed == {} and report.failures == Counter(), (
        f"{len(report.failed)} of {report.boots} boots failed: {dict(report.failures)}; "
        f"first: {list(report.failed.items())[:5]}")
    assert report.boots_ok == report.boots >= PHONES
    assert len(collector.passed_on) > PHONES  # through hostile-first's sandbox

    # every attack was refused, and nothing it reached came back
    secrets = [b"BREACH", VICTIM_SECRET.encode(), token.encode(), b"SQLite format",
               b"root:", b"uid="]
    for a in attackers:
        answers = Counter(r.answer for r in a.replies)
        assert set(answers) <= REFUSALS, answers
        leaked = [r for r in a.replies if any(s in r.body for s in secrets)]
        assert leaked == []
        assert {r.attack for r in a.replies} == set(ATTACKS)
    assert connections == []
    assert files_after == files_before

    # each attack ran in its module's sandbox (before any quarantine: a quarantined module
    # runs nothing), and every failure is logged with the module's name and the reason
    for a in attackers:
        logged = logged_failures(caplog, a.module)
        missing = []
        for name, attack in ATTACKS.items():
            evidence = logged if attack.fails else collector.outcomes(a.module, name)
            if not any(re.match(attack.proof, e, re.DOTALL) for e in evidence):
                missing.append((name, attack.proof, collector.outcomes(a.module, name)[:3]))
        assert missing == [], f"{a.module}: attacks without proof they ran: {missing}"

    # the flood stalled hostile-first (every worker held): the chain skipped it meanwhile
    assert Counter(r.phase for r in attackers[0].replies)["flood"] == 2
    assert collector.stalled, "hostile-first never stalled under the flood"

    # hostile-last, which only attackers reach, was quarantined; the attacks went on and
    # were answered 404 without the module being asked
    assert quarantined.count(LAST) == 1
    # exactly: a call cut short by the quarantine closing the pool (its deadline attack may
    # still be running) does not count again and does not hide the real last reason
    reason = modules[LAST]["quarantined"]
    count = re.match(r"(\d+) consecutive failures; last: ", reason)
    assert count and int(count.group(1)) == QUARANTINE_AFTER, reason
    assert "pool was closed" not in reason, reason
    after = [r for r in attackers[1].replies if r.phase == "quarantined"]
    assert len(after) == len(ATTACKS)
    # (404, or "busy" while the flood stalls hostile-first and no later module answers)
    assert {r.answer for r in after} <= REFUSALS, after
    steps = {t["client"]: [s["module"] for s in t["steps"]] for t in collector.traces.values()}
    assert all(r.client in steps and LAST not in steps[r.client] for r in after), (
        [(r.attack, steps.get(r.client)) for r in after])

    # the server is gone: none of its processes is left, its descriptors are closed
    assert descendants(os.getpid()) - outside == set()
    assert seen_processes, "no worker process was ever seen"
    assert await still_running(seen_processes) == set()
    gc.collect()
    assert fd_targets() == fds_before
