"""The worker pool every runtime uses: sandboxed worker processes speaking the frames of
provhost.runtime.ipc, whatever runs inside them (native PHP, PHP compiled to WebAssembly).

Theory of operation
-------------------
* A runtime is a `PoolRuntime`: an async context manager owning one nursery; every worker
  process and every helper task lives under it, and leaving it kills and reaps them all.
  A runtime is a *recipe*: the command that starts one worker (a `WorkerCommand`), limits,
  and `run_once` for scripts that need a one-off sandbox instead (firmware preprocessing).
* `WorkerPool.run` takes an idle worker (waiting in a bounded queue), sends RUN, serves the
  script's CALL frames through the broker, and returns the DONE outcome.  One cancel scope
  is the call's wall-clock deadline; past it the worker is killed.  Any fault -- crash,
  timeout, protocol violation, unexpected exit -- retires the worker and yields
  Action.ERROR; a replacement starts in the background.  Workers are also retired after
  `max_requests_per_worker` requests.  Every call runs on a clean worker state.
* Start-up: an eager pool starts its workers when opened.  A lazy pool (`lazy=True`, what
  the engine opens) starts them on its first call, and after `idle_after` seconds without
  a call shrinks back to none: idle memory and server start-up do not grow with the
  number of installed modules.  The first worker of a cold pool is started by the call
  that needs it, so a worker that cannot start is that call's error (counted toward the
  module's quarantine), not a silent wait.
* A *stalled* pool -- every worker on one call for more than `stall_after` seconds --
  raises PoolStalled at once instead of queueing callers behind sleeping scripts.
* Workers are spawned with subprocess.Popen from the trio (main) thread on purpose: bwrap's
  --die-with-parent fires when the *thread* that forked it exits, and trio's own process API
  forks from short-lived worker threads.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio
from provhost_sandbox.php_worker import WorkerMounts
from provhost_sandbox.seccomp import default_filter

from . import ipc
from .firmware_shell import run_firmware_shell
from .interface import (
    Action,
    BrokerError,
    ModuleImage,
    PoolClosed,
    PoolOverloaded,
    PoolStalled,
    ScriptCall,
    ScriptKind,
    ScriptOutcome,
)

log = logging.getLogger("provhost.runtime.pool")

# (mounts, ipc_in, ipc_out, seccomp_fd) -> argv of one worker
WorkerCommand = Callable[[WorkerMounts, int, int, int | None], list[str]]


@dataclass(frozen=True)
class PoolConfig:
    """How a pool behaves, whatever its workers run."""

    command: WorkerCommand
    workers_per_pool: int = 2
    max_queue: int = 64  # callers waiting for a worker before PoolOverloaded
    # a pool whose every worker has been on its current call this long is stalled: callers
    # stop waiting for it (PoolStalled) instead of queueing behind sleeping scripts
    stall_after: float = 1.0
    max_requests_per_worker: int = 5000
    startup_timeout: float = 10.0
    max_frame: int = ipc.DEFAULT_MAX_FRAME
    respawn_delay: float = 0.5
    idle_after: float = 600.0  # a lazy pool without calls this long shrinks to no workers


class WorkerFault(Exception):
    """The worker broke: died, broke the protocol or sent something invalid."""


_SIGNAL_MEANINGS = {
    signal.SIGSYS: "a forbidden system call (seccomp)",
    signal.SIGSEGV: "a crash (SIGSEGV, e.g. unbounded recursion)",
    signal.SIGKILL: "SIGKILL (a resource limit, or killed from outside)",
    signal.SIGXCPU: "its CPU time limit",
    signal.SIGABRT: "an abort",
    signal.SIGBUS: "a bus error",
}


def describe_exit(rc: int | None) -> str:
    """Human words for a worker's exit status (bwrap reports a child's signal as 128+N)."""
    if rc is None:
        return "the worker closed its channel"
    sig = -rc if rc < 0 else rc - 128 if rc > 128 else 0
    if sig:
        try:
            name = signal.Signals(sig)
        except ValueError:
            return f"the worker was killed by signal {sig}"
        return f"the worker was killed by {_SIGNAL_MEANINGS.get(name, name.name)}"
    return f"the worker exited with status {rc}"


_TEMPLATE_PATH = re.compile(r"/compiled/templates/([^\s:]+?)\.php")


def module_relative(message: str) -> str:
    """Name files the way module authors know them: templates/x.tpl, providers/y.php."""
    return _TEMPLATE_PATH.sub(r"templates/\1.tpl", message).replace("/module/", "")


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    raise WorkerFault(f"outcome body has type {type(value).__name__}")


def _opt_str(outcome: dict[Any, Any], key: str) -> str | None:
    value = outcome.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise WorkerFault(f"outcome field {key!r} has type {type(value).__name__}")
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def parse_outcome(body: Any) -> ScriptOutcome:
    """Validate a DONE body; anything odd is a WorkerFault (the worker is hostile)."""
    if not isinstance(body, dict):
        raise WorkerFault("outcome is not a map")
    try:
        action = Action(body.get("action"))
    except ValueError:
        raise WorkerFault(f"outcome has unknown action {body.get('action')!r:.40}") from None
    logs = body.get("log") or []
    if not isinstance(logs, list) or not all(isinstance(x, str) for x in logs):
        raise WorkerFault("outcome log is not a list of strings")
    error = _opt_str(body, "error")
    return ScriptOutcome(
        action=action,
        body=_as_bytes(body.get("body")),
        file=_opt_str(body, "file"),
        content_type=_opt_str(body, "content_type"),
        error=module_relative(error) if error is not None else None,
        log=[x.encode("utf-8", "surrogateescape").decode("utf-8", "replace")[:2000]
             for x in logs[:200]],
    )


class _Worker:
    """One sandboxed worker process and its channel."""

    def __init__(self, proc: subprocess.Popen[bytes], to_worker: int, from_worker: int,
                 stderr: int, max_frame: int) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.pidfd = os.pidfd_open(proc.pid)
        self.send_stream = trio.lowlevel.FdStream(to_worker)
        self.recv_stream = trio.lowlevel.FdStream(from_worker)
        self.stderr_stream = trio.lowlevel.FdStream(stderr)
        self.decoder = ipc.FrameDecoder(max_frame)
        self.conversation = ipc.Conversation()
        self.max_frame = max_frame
        self.requests = 0
        self.stderr_tail: collections.deque[bytes] = collections.deque(maxlen=16)
        self.reaped = trio.Event()

    @property
    def idle(self) -> bool:
        return self.conversation.state is ipc.State.IDLE and self.proc.returncode is None

    async def _send(self, kind: ipc.Kind, body: Any) -> None:
        self.conversation.sending(kind)
        try:
            await self.send_stream.send_all(ipc.encode_frame(kind, body, self.max_frame))
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            raise WorkerFault(await self.death_reason()) from None

    async def _receive(self) -> ipc.Frame:
        while True:
            try:
                frame = self.decoder.next_frame()
                if frame is not None:
                    self.conversation.received(frame)
                    return frame
            except ipc.ProtocolError as exc:
                raise WorkerFault(f"protocol violation: {exc}") from None
            try:
                data = await self.recv_stream.receive_some(1 << 16)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                data = b""
            if not data:
                raise WorkerFault(await self.death_reason())
            self.decoder.feed(data)

    def exited(self) -> bool:
        """Whether the process has ended (checked without collecting its status)."""
        if self.reaped.is_set() or self.proc.returncode is not None or self.pidfd < 0:
            return True
        try:
            flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
            return os.waitid(os.P_PIDFD, self.pidfd, flags) is not None
        except ChildProcessError:
            return True

    async def death_reason(self) -> str:
        with trio.move_on_after(1.0):
            await self.reaped.wait()
        return describe_exit(self.proc.returncode)

    async def wait_ready(self) -> dict[Any, Any]:
        frame = await self._receive()
        return frame.body if isinstance(frame.body, dict) else {}

    async def run(self, call: ScriptCall, run_body: dict[str, Any], broker: Any) -> ScriptOutcome:
        self.requests += 1
        await self._send(ipc.Kind.RUN, run_body)
        while True:
            frame = await self._receive()
            if frame.kind is ipc.Kind.DONE:
                return parse_outcome(frame.body)
            await self._send(ipc.Kind.RET, await self._serve_call(frame.body, broker))

    async def _serve_call(self, body: Any, broker: Any) -> dict[str, Any]:
        if (not isinstance(body, list) or len(body) != 2 or not isinstance(body[0], str)
                or not isinstance(body[1], list) or len(body[0]) > 64):
            raise WorkerFault("malformed call frame")
        function, args = body
        try:
            return {"ok": await broker.call(function, args)}
        except BrokerError as exc:
            return {"error": str(exc)}
        except Exception:
            log.exception("broker failed on %s", function)
            return {"error": "internal error in the host"}

    def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()

    async def reap(self) -> None:
        """Wait for exit (pidfd becomes readable), collect status, release fds."""
        try:
            await trio.lowlevel.wait_readable(self.pidfd)
            self.proc.wait()
        finally:
            for stream in (self.send_stream, self.recv_stream, self.stderr_stream):
                await stream.aclose()
            os.close(self.pidfd)
            self.pidfd = -1
            self.reaped.set()

    async def drain_stderr(self, name: str) -> None:
        while True:
            try:
                data = await self.stderr_stream.receive_some(8192)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return
            if not data:
                return
            self.stderr_tail.append(data[-2048:])
            log.debug("worker %s [%d]: %s", name, self.pid, data[:2048].decode(errors="replace"))


class WorkerPool:
    """The workers of one module version (ModulePool protocol)."""

    def __init__(self, runtime: PoolRuntime, image: ModuleImage, config: PoolConfig, *,
                 lazy: bool = False) -> None:
        self.runtime = runtime
        self.image = image
        self.config = config
        self.lazy = lazy
        self.mounts = WorkerMounts(image.files_dir, image.compiled_dir, image.firmware_dir)
        self._idle_send, self._idle_recv = trio.open_memory_channel[_Worker](
            max(1, config.workers_per_pool))
        self._workers: set[_Worker] = set()
        self._active: set[trio.CancelScope] = set()  # deadlines of calls in flight
        self._started_at: dict[_Worker, float] = {}  # when each busy worker took its call
        self._closed = False
        self._cold = True  # no workers wanted: not started yet, or shrunk while idle
        self._warming = trio.Lock()
        self._last_call = 0.0
        self._waiting = 0
        self._busy = 0
        self._counts = collections.Counter[str]()

    @property
    def name(self) -> str:
        return f"{self.image.module_id}@{self.image.version}"

    # ----- lifecycle -----

    def _spawn(self) -> _Worker:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("workers must be spawned from the main thread (--die-with-parent)")
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        err_r, err_w = os.pipe()
        sec_r, sec_w = os.pipe()
        child_fds = (to_r, from_w, sec_r)
        try:
            os.write(sec_w, default_filter())
            os.close(sec_w)
            argv = self.config.command(self.mounts, to_r, from_w, sec_r)
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=err_w, pass_fds=child_fds, close_fds=True)
        except BaseException:
            for fd in (to_w, from_r, err_r):
                os.close(fd)
            raise
        finally:
            for fd in (*child_fds, err_w):
                os.close(fd)
        worker = _Worker(proc, to_w, from_r, err_r, self.config.max_frame)
        self._workers.add(worker)
        self._counts["started"] += 1
        nursery = self.runtime.nursery
        nursery.start_soon(self._reap, worker)
        nursery.start_soon(worker.drain_stderr, self.name)
        return worker

    async def _reap(self, worker: _Worker) -> None:
        with trio.CancelScope(shield=True):
            await worker.reap()
        self._workers.discard(worker)

    async def _start_one(self) -> _Worker:
        worker = self._spawn()
        try:
            with trio.fail_after(self.config.startup_timeout):
                await worker.wait_ready()
        except BaseException as exc:
            worker.kill()
            if not isinstance(exc, WorkerFault | trio.TooSlowError):
                raise
            with trio.CancelScope(shield=True):
                await worker.reaped.wait()
            tail = b"".join(worker.stderr_tail).decode(errors="replace").strip()
            raise WorkerFault(f"worker for {self.name} failed to start: {exc or 'timeout'}"
                              + (f"; stderr: {tail[-500:]}" if tail else "")) from None
        return worker

    async def start(self) -> None:
        """Start every worker now (an eager pool; a lazy one starts on its first call)."""
        if self.lazy:
            return
        for _ in range(self.config.workers_per_pool):
            self._idle_send.send_nowait(await self._start_one())
        self._cold = False

    async def warm(self) -> None:
        """Start a lazy pool's workers now (a replacement for a pool that was serving)."""
        if self._cold and not self._closed:
            await self._warm()

    async def _warm(self) -> None:
        """Start a cold pool: the others in the background, at the same time as the first,
        which the call that needs it starts itself (WorkerFault if it cannot start)."""
        async with self._warming:
            if not self._cold or self._closed:
                return
            self._cold = False
            for _ in range(self.config.workers_per_pool - 1):
                self.runtime.nursery.start_soon(self._replace)
            try:
                worker = await self._start_one()
            except BaseException:
                self._cold = True  # the background starters give up too
                raise
            try:
                self._idle_send.send_nowait(worker)
            except trio.ClosedResourceError:  # closed while the worker started
                worker.kill()
                raise PoolClosed(f"pool {self.name} is closed") from None
            self.runtime.nursery.start_soon(self._shrink_when_idle)

    async def _shrink_when_idle(self) -> None:
        """Retire every worker of a lazy pool once it had no call for `idle_after` s."""
        while not self._closed and not self._cold:
            quiet_until = self._last_call + self.config.idle_after
            now = trio.current_time()
            if now < quiet_until or self._busy or self._waiting:
                await trio.sleep(max(quiet_until - now, 0.05))
                continue
            self._cold = True
            while True:
                try:
                    worker = self._idle_recv.receive_nowait()
                except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
                    break
                worker.kill()
            log.info("pool %s: idle for %g s, its workers stopped", self.name,
                     self.config.idle_after)

    async def _replace(self) -> None:
        while not self._closed and not self._cold:
            try:
                worker = await self._start_one()
            except WorkerFault as exc:
                log.warning("%s", exc)
                await trio.sleep(self.config.respawn_delay)
                continue
            if self._cold:
                worker.kill()
                return
            try:
                self._idle_send.send_nowait(worker)
            except (trio.ClosedResourceError, trio.WouldBlock):
                worker.kill()
            return

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        if not self._closed and not self._cold:
            self.runtime.nursery.start_soon(self._replace)

    def _release(self, worker: _Worker) -> None:
        if (self._closed or self._cold or not worker.idle
                or worker.requests >= self.config.max_requests_per_worker):
            self._retire(worker)
            return
        try:
            self._idle_send.send_nowait(worker)
        except (trio.ClosedResourceError, trio.WouldBlock):
            worker.kill()

    # ----- the ModulePool interface -----

    async def run(self, call: ScriptCall, broker: Any) -> ScriptOutcome:
        if self._closed:
            raise PoolClosed(f"pool {self.name} is closed")
        if self._stall_remaining() == 0.0:
            self._counts["stalled"] += 1
            raise PoolStalled(self._stall_message())
        if self._waiting >= self.config.max_queue:
            self._counts["overloaded"] += 1
            raise PoolOverloaded(f"pool {self.name}: {self._waiting} requests already waiting")
        run_body = {"kind": call.kind.value, "script": call.script, "variables": call.variables}
        self._last_call = trio.current_time()
        self._waiting += 1
        try:
            if self._cold:
                try:
                    await self._warm()
                except WorkerFault as exc:
                    self._counts["crashed"] += 1
                    return ScriptOutcome(Action.ERROR, error=f"{call.script}: {exc}")
            worker = await self._take_worker()
        finally:
            self._waiting -= 1
        self._busy += 1
        self._started_at[worker] = trio.current_time()
        try:
            return await self._run_on(worker, call, run_body, broker)
        finally:
            self._busy -= 1
            del self._started_at[worker]
            self._last_call = trio.current_time()
            self._release(worker)

    def _stall_remaining(self) -> float | None:
        """Seconds until the pool counts as stalled if nothing finishes (0.0: it is now);
        None while some worker is free or starting, i.e. not every worker is stuck."""
        if self._busy < self.config.workers_per_pool or not self._started_at:
            return None
        youngest = max(self._started_at.values())
        return max(0.0, youngest + self.config.stall_after - trio.current_time())

    def _stall_message(self) -> str:
        return (f"pool {self.name}: all {self._busy} workers have been on one call for more "
                f"than {self.config.stall_after:g} s")

    async def _take_worker(self) -> _Worker:
        """An idle, live worker; waiting for one only while the pool is not stalled."""
        while True:
            remaining = self._stall_remaining()
            if remaining == 0.0:
                self._counts["stalled"] += 1
                raise PoolStalled(self._stall_message())
            if self._cold:  # shrunk between this call's warm-up and now: warm up again
                await self._warm()
            worker = None
            with trio.move_on_after(self.config.stall_after if remaining is None
                                    else remaining):
                try:
                    worker = await self._idle_recv.receive()
                except (trio.EndOfChannel, trio.ClosedResourceError):
                    raise PoolClosed(f"pool {self.name} was closed while the call "
                                     "waited") from None
            if worker is None:
                continue
            if worker.idle and not worker.exited():
                return worker
            # it died while idle (OOM killer, an administrator): not this call's fault
            log.warning("pool %s: an idle worker had died; replacing it", self.name)
            self._retire(worker)

    async def _run_on(self, worker: _Worker, call: ScriptCall, run_body: dict[str, Any],
                      broker: Any) -> ScriptOutcome:
        start = trio.current_time()
        outcome: ScriptOutcome | None = None
        with trio.move_on_after(call.timeout) as deadline:  # the call's one cancel scope
            self._active.add(deadline)
            try:
                outcome = await worker.run(call, run_body, broker)
                self._counts["served"] += 1
            except WorkerFault as exc:
                worker.kill()
                self._counts["crashed"] += 1
                outcome = ScriptOutcome(Action.ERROR, error=f"{call.script}: {exc}")
            finally:
                self._active.discard(deadline)
        if outcome is None and self._closed:
            worker.kill()
            outcome = ScriptOutcome(Action.ERROR, error=f"{call.script}: the pool was closed "
                                    "during the call")
        elif outcome is None and deadline.cancelled_caught:
            worker.kill()
            self._counts["timeouts"] += 1
            outcome = ScriptOutcome(
                Action.ERROR, error=f"{call.script}: exceeded its time limit of "
                f"{call.timeout:g} s; the worker was killed")
        assert outcome is not None
        outcome.elapsed = trio.current_time() - start
        return outcome

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        for scope in self._active:
            scope.cancel()
        await self._idle_send.aclose()
        for worker in list(self._workers):
            worker.kill()
        with trio.CancelScope(shield=True):
            for worker in list(self._workers):
                await worker.reaped.wait()
        self.runtime._pools.discard(self)

    def stats(self) -> dict[str, Any]:
        alive = sum(1 for w in self._workers if w.proc.returncode is None)
        return {
            "alive": alive, "busy": self._busy, "queued": self._waiting,
            "started": self._counts["started"], "crashed": self._counts["crashed"],
            "timeouts": self._counts["timeouts"], "served": self._counts["served"],
            "overloaded": self._counts["overloaded"], "stalled": self._counts["stalled"],
            "closed": self._closed, "cold": self._cold,
        }

    def worker_pids(self) -> list[int]:
        """Host pids of the bwrap processes (for tests)."""
        return [w.pid for w in self._workers if w.proc.returncode is None]


class PoolRuntime:
    """A runtime built on WorkerPool: ``async with Recipe(...) as rt: ...``.

    Subclasses (the recipes) say what a worker is (`pool_config`), may prepare something
    before the nursery opens (`prepare`), and run one-off scripts (`run_once`)."""

    name = "pool"

    def __init__(self) -> None:
        self._pools: set[WorkerPool] = set()
        self._stack: contextlib.AsyncExitStack | None = None
        self.nursery: trio.Nursery = None  # type: ignore[assignment]

    def pool_config(self) -> PoolConfig:
        raise NotImplementedError

    async def prepare(self) -> None:
        """Work before any worker can start (checks, compilation); nothing by default."""

    async def __aenter__(self) -> PoolRuntime:
        async with contextlib.AsyncExitStack() as stack:
            await self.prepare()
            self.nursery = await stack.enter_async_context(trio.open_nursery())
            stack.push_async_callback(self._close_all)  # runs before the nursery is left
            self._stack = stack.pop_all()
        return self

    async def __aexit__(self, *exc: object) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.__aexit__(*exc)  # type: ignore[arg-type]

    async def _close_all(self) -> None:
        for pool in list(self._pools):
            await pool.aclose()
        self.nursery.cancel_scope.cancel()

    async def open_pool(self, image: ModuleImage, *, lazy: bool = False) -> WorkerPool:
        if self._stack is None:
            raise RuntimeError(f"{type(self).__name__} used outside 'async with'")
        for d in (image.files_dir, image.compiled_dir, image.firmware_dir):
            if not Path(d).is_dir():
                raise FileNotFoundError(f"module image directory missing: {d}")
        pool = WorkerPool(self, image, self.pool_config(), lazy=lazy)
        self._pools.add(pool)
        try:
            await pool.start()
        except BaseException:
            await pool.aclose()
            raise
        return pool

    async def run_once(self, image: ModuleImage, call: ScriptCall) -> ScriptOutcome:
        """A script that needs its own one-off sandbox, not a pool's worker: firmware
        preprocessing, which must exec tools the workers' seccomp layer forbids."""
        if call.kind is not ScriptKind.FIRMWARE:
            raise ValueError(f"run_once runs firmware scripts, not {call.kind.value}")
        return await run_firmware_shell(image, call)
