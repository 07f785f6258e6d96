"""The WASM worker: runs php.wasm under wasmtime, one fresh instance per request.

Why a process of its own: the wasm sandbox is the inner layer, the bwrap sandbox of the
native runtime the outer one (sandbox/provhost_sandbox/wasm_sandbox.py), and a process is
the unit the pool can kill on a deadline.  The worker speaks the native worker's frames
(docs/ipc.md) on two pipes, so the host's pool logic serves both runtimes unchanged.

Theory of operation
-------------------
* Start: load the precompiled module (php.cwasm, made by ``ensure_precompiled`` at build
  time for exactly this wasmtime and engine configuration), send READY.
* Per RUN frame: a new Store (memory limit, epoch deadline) and a new instance; WASI gets
  the argv ``php SCRIPT INI``, no environment, and only the preopens /module, /compiled,
  /firmware, /shim read-only and /tmp writable.  The guest (bridge/provhost_wasm.c) pulls
  the RUN body and pushes CALL and DONE bodies through three imports; a CALL blocks in the
  import until the host's RET frame arrives.  With ``--reuse N`` one instance serves N
  requests with PHP's own request start/shutdown in between (the native worker's model).
* If the guest traps (epoch deadline, stack exhaustion, unreachable) or exits before its
  outcome, the worker sends the error outcome itself.  After each request /tmp is emptied.
* Any frame out of order from the host ends the worker (the host is trusted, but strict).

This file is also imported on the host (stdlib + wasmtime only) for `engine_config` and
`ensure_precompiled`, so the serialized module and its reader always agree.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

import wasmtime

WIRE_VERSION = 1
KIND_RUN, KIND_RET, KIND_READY, KIND_CALL, KIND_DONE = 1, 2, 16, 17, 18
MAX_FRAME = 64 * 1024 * 1024
EPOCH_TICK = 0.01  # seconds per epoch increment
MAX_WASM_STACK = 2 * 1024 * 1024 - 65536  # native stack for wasm frames (wasmtime caps it below
# its async stack size, 2 MiB); deeper recursion traps
# Names the engine_config() settings: a php.cwasm made under other settings is remade.
ENGINE_TAG = f"exceptions+epoch+stack{MAX_WASM_STACK}+speed"
PREOPENS_READ_ONLY = ("/module", "/compiled", "/firmware", "/shim")
PREOPEN_WRITABLE = "/tmp"


def engine_config() -> wasmtime.Config:
    """The one engine configuration: php.cwasm is only valid for exactly this one."""
    config = wasmtime.Config()
    config.wasm_exceptions = True  # zend_bailout's setjmp/longjmp
    config.epoch_interruption = True  # the CPU deadline
    config.max_wasm_stack = MAX_WASM_STACK
    config.cranelift_opt_level = "speed"
    return config


def precompiled_path(wasm: Path) -> Path:
    return wasm.with_suffix(".cwasm")


def ensure_precompiled(wasm: Path) -> Path:
    """Compile php.wasm once for this wasmtime; a stamp says which version made php.cwasm."""
    cwasm = precompiled_path(wasm)
    stamp = wasm.with_suffix(".cwasm.stamp")
    want = (f"{wasmtime_version()} {ENGINE_TAG} {wasm.stat().st_size} "
            f"{wasm.stat().st_mtime_ns}")
    if cwasm.is_file() and stamp.is_file() and stamp.read_text().strip() == want:
        return cwasm
    engine = wasmtime.Engine(engine_config())
    module = wasmtime.Module.from_file(engine, str(wasm))
    tmp = cwasm.with_suffix(".cwasm.tmp")
    tmp.write_bytes(module.serialize())
    tmp.replace(cwasm)
    stamp.write_text(want + "\n")
    return cwasm


def wasmtime_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("wasmtime")
    except metadata.PackageNotFoundError:  # inside the sandbox: no dist-info bound
        return "unknown"


# ---------- frames (blocking; the host is the only peer) ----------


class HostGone(Exception):
    """The host closed the channel or broke the conversation: the worker ends."""


def read_full(fd: int, n: int) -> bytes:
    chunks = []
    while n > 0:
        data = os.read(fd, min(n, 1 << 20))
        if not data:
            raise HostGone("end of stream")
        chunks.append(data)
        n -= len(data)
    return b"".join(chunks)


def read_frame(fd: int) -> tuple[int, bytes]:
    n, version, kind = struct.unpack(">IBB", read_full(fd, 6))
    if n < 2 or n > MAX_FRAME or version != WIRE_VERSION:
        raise HostGone(f"bad frame header (length {n}, version {version})")
    return kind, read_full(fd, n - 2)


def write_frame(fd: int, kind: int, body: bytes) -> None:
    data = struct.pack(">IBB", len(body) + 2, WIRE_VERSION, kind) + body
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def pack_str(s: str) -> bytes:
    raw = s.encode("utf-8", "replace")
    n = len(raw)
    if n < 32:
        return bytes([0xA0 | n]) + raw
    if n < 256:
        return bytes([0xD9, n]) + raw
    if n < 65536:
        return b"\xda" + n.to_bytes(2, "big") + raw
    return b"\xdb" + n.to_bytes(4, "big") + raw


def pack_str_map(items: dict[str, str]) -> bytes:
    return bytes([0x80 | len(items)]) + b"".join(pack_str(k) + pack_str(v)
                                                 for k, v in items.items())


def error_outcome(message: str) -> bytes:
    return pack_str_map({"action": "error", "error": message[:60000]})


def describe_trap(exc: Exception) -> str:
    text = str(exc)
    if "interrupt" in text:
        return "exceeded its CPU time limit (the WebAssembly instance was interrupted)"
    if "call stack exhausted" in text or "stack overflow" in text:
        return "exhausted its stack (unbounded recursion?); the WebAssembly instance trapped"
    if "out of bounds" in text:
        return "crashed (out-of-bounds memory access in the WebAssembly instance)"
    if "unreachable" in text:
        return "crashed (the WebAssembly instance aborted)"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"crashed (WebAssembly trap: {first[:200]})"


# ---------- one instance ----------


class Session:
    """The host side of the guest's three imports for one instance."""

    def __init__(self, worker: Worker, first_run: bytes, store: wasmtime.Store) -> None:
        self.worker = worker
        self.store = store
        self.pending: bytes | None = first_run
        self.message = b""
        self.served = 0
        self.done = False  # the current request has its outcome
        self.in_request = False

    def next_message(self, caller: wasmtime.Caller, kind: int) -> int:
        if kind == KIND_RUN:
            if self.in_request:
                self.worker.after_request()
                self.in_request = False
            if self.pending is None:
                if self.served >= self.worker.reuse:
                    return -1
                frame_kind, body = read_frame(self.worker.in_fd)
                if frame_kind != KIND_RUN:
                    raise HostGone(f"expected RUN, got kind {frame_kind}")
                self.store.set_epoch_deadline(self.worker.deadline_ticks)
                self.pending = body
            self.message, self.pending = self.pending, None
            self.served += 1
            self.in_request = True
            self.done = False
        elif kind == KIND_RET:
            frame_kind, self.message = read_frame(self.worker.in_fd)
            if frame_kind != KIND_RET:
                raise HostGone(f"expected RET, got kind {frame_kind}")
        else:
            return -1
        return len(self.message)

    def read_message(self, caller: wasmtime.Caller, ptr: int) -> None:
        memory = caller["memory"]
        assert isinstance(memory, wasmtime.Memory)
        memory.write(caller, self.message, ptr)
        self.message = b""

    def send_message(self, caller: wasmtime.Caller, kind: int, ptr: int, length: int) -> int:
        if kind not in (KIND_CALL, KIND_DONE) or self.done or not self.in_request:
            return -1
        memory = caller["memory"]
        assert isinstance(memory, wasmtime.Memory)
        if length < 0 or length > MAX_FRAME - 2 or ptr < 0 \
                or ptr + length > memory.data_len(caller):
            return -1
        body = memory.read(caller, ptr, ptr + length)
        write_frame(self.worker.out_fd, kind, body)
        if kind == KIND_DONE:
            self.done = True
        return 0


class Worker:
    def __init__(self, args: argparse.Namespace) -> None:
        self.in_fd: int = args.in_fd
        self.out_fd: int = args.out_fd
        self.script: str = args.script
        self.ini: str = args.ini
        self.memory_bytes: int = args.memory
        self.deadline_ticks = max(1, int(args.cpu_seconds / EPOCH_TICK))
        self.reuse: int = max(1, args.reuse)
        self.clean_dir: str | None = args.clean_dir
        self.php_version: str = args.php_version
        self.engine = wasmtime.Engine(engine_config())
        self.module = wasmtime.Module.deserialize_file(self.engine, args.module)
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        self.session: Session | None = None
        i32 = wasmtime.ValType.i32()
        imports: list[tuple[str, list[wasmtime.ValType], list[wasmtime.ValType]]] = [
            ("next_message", [i32], [i32]),
            ("read_message", [i32], []),
            ("send_message", [i32, i32, i32], [i32]),
        ]
        for name, params, results in imports:
            self.linker.define_func("provhost", name, wasmtime.FuncType(params, results),
                                    self._dispatch(name), access_caller=True)

    def _dispatch(self, name: str) -> Any:
        def call(caller: wasmtime.Caller, *args: int) -> Any:
            assert self.session is not None
            return getattr(self.session, name)(caller, *args)

        return call

    def wasi(self) -> wasmtime.WasiConfig:
        config = wasmtime.WasiConfig()
        config.argv = ["php", self.script, self.ini]
        config.env = []
        config.inherit_stderr()
        for path in PREOPENS_READ_ONLY:
            if os.path.isdir(path):
                config.preopen_dir(path, path, False)
        if os.path.isdir(PREOPEN_WRITABLE):
            config.preopen_dir(PREOPEN_WRITABLE, PREOPEN_WRITABLE, True)
        return config

    def after_request(self) -> None:
        if self.clean_dir:
            empty_dir(self.clean_dir)

    def run_instance(self, first_run: bytes) -> None:
        store = wasmtime.Store(self.engine)
        store.set_limits(memory_size=self.memory_bytes, instances=1, tables=4, memories=1)
        store.set_epoch_deadline(self.deadline_ticks)
        store.set_wasi(self.wasi())
        session = self.session = Session(self, first_run, store)
        reason: str | None = None
        try:
            instance = self.linker.instantiate(store, self.module)
            start = instance.exports(store)["_start"]
            assert isinstance(start, wasmtime.Func)
            start(store)
        except wasmtime.ExitTrap as exc:
            if exc.code != 0:
                reason = f"PHP exited with status {exc.code}"
        except HostGone:
            raise
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, HostGone):
                raise cause from None
            reason = describe_trap(exc)
        finally:
            self.session = None
        if session.in_request and not session.done:
            write_frame(self.out_fd, KIND_DONE, error_outcome(
                f"the script {reason or 'ended without an outcome'}"))
        if session.in_request:
            self.after_request()

    def serve(self) -> None:
        write_frame(self.out_fd, KIND_READY, pack_str_map({"php": self.php_version,
                                                           "runtime": "wasm"}))
        ticker = threading.Thread(target=self._tick, daemon=True)
        ticker.start()
        while True:
            kind, body = read_frame(self.in_fd)
            if kind != KIND_RUN:
                raise HostGone(f"expected RUN, got kind {kind}")
            self.run_instance(body)

    def _tick(self) -> None:
        while True:
            time.sleep(EPOCH_TICK)
            self.engine.increment_epoch()


def empty_dir(path: str) -> None:
    """Remove everything below `path` (the sandbox's private tmpfs), never `path` itself."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        except OSError:
            pass


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="wasm_worker")
    p.add_argument("--in", dest="in_fd", type=int, required=True)
    p.add_argument("--out", dest="out_fd", type=int, required=True)
    p.add_argument("--module", required=True, help="php.cwasm")
    p.add_argument("--script", required=True)
    p.add_argument("--ini", required=True)
    p.add_argument("--memory", type=int, default=128 * 1024 * 1024)
    p.add_argument("--cpu-seconds", type=float, default=30.0)
    p.add_argument("--reuse", type=int, default=1, help="requests per instance (1: fresh)")
    p.add_argument("--clean-dir")
    p.add_argument("--php-version", default="?")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    try:
        Worker(args).serve()
    except HostGone:
        return 0
    except KeyboardInterrupt:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
