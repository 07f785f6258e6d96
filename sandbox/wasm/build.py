"""Build php.wasm (PHP 8.2 for wasm32-wasi plus our bridge) from pinned inputs, cached.

Why a recipe of our own: no registry ships PHP for WASI (npm's @php-wasm is Emscripten for
Node), and Debian's clang/wasi-libc lack the setjmp/longjmp runtime and the exception
encoding wasmtime accepts.  Inputs are pinned: the Debian source package of php8.2 (exact
version and SHA-256 of each file) and ziglang (its clang and wasi-libc).  The output,
sandbox/wasm/build/php.wasm, is keyed by a hash of every recipe input; a second run with the
same inputs does nothing.  docs/wasm.md explains each step.

Steps: fetch (apt-get source --download-only, needs a deb-src entry and dpkg-dev) ->
verify -> unpack (dpkg-source, applies Debian's patches) -> our patches/ -> configure
(embed SAPI, static, few extensions) -> make libphp.a with compat/wasi_compat.h
force-included -> compile bridge/ and compat/ -> link php.wasm -> precompile php.cwasm for
the installed wasmtime (provhost_sandbox.wasm_worker.precompile).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUILD = HERE / "build"

PHP_PACKAGE = "php8.2"
PHP_DEB_VERSION = "8.2.32-1~deb12u1"
PHP_UPSTREAM = "8.2.32"
SOURCE_SHA256 = {
    "php8.2_8.2.32-1~deb12u1.dsc":
        "2dd58aea6324c0d6bd3da32bb1b6e2c10a9cf201c2587a7f6dd1acff7cef52fe",
    "php8.2_8.2.32.orig.tar.xz":
        "e02aa173c236c12791696254d607da680e6d5516f8f5c2339642de7c4f944bd2",
    "php8.2_8.2.32-1~deb12u1.debian.tar.xz":
        "33294e7f23f986126dd9e0ff35f461ff41c33d1616edca70085ccf9326f79e80",
}
ZIG_VERSION = "0.17.0"
SOURCE_DATE_EPOCH = "1735689600"  # fixed build timestamp for __DATE__/__TIME__

# -mllvm -wasm-enable-sjlj ... : zend_bailout's setjmp/longjmp as wasm exceptions (the
# encoding wasmtime 50 accepts); the tag itself is compat/longjmp_tag.S.
SJLJ = ["-mllvm", "-wasm-enable-sjlj", "-mllvm", "-wasm-use-legacy-eh=false",
        "-mexception-handling"]
WASI_EMULATION = ["-D_WASI_EMULATED_SIGNAL", "-D_WASI_EMULATED_PROCESS_CLOCKS",
                  "-D_WASI_EMULATED_GETPID", "-D_WASI_EMULATED_MMAN"]
CFLAGS = ["-O2", *WASI_EMULATION, *SJLJ]
CONFIGURE = [
    "--host=wasm32-unknown-wasi", "--build=x86_64-pc-linux-gnu",
    "--disable-all", "--disable-cli", "--disable-cgi", "--disable-phpdbg",
    "--enable-embed=static",  # libphp.a; bridge/provhost_wasm.c is the SAPI main
    "--without-pcre-jit", "--enable-ctype", "--enable-mbstring", "--disable-mbregex",
    "--enable-filter", "--disable-fiber-asm", "--disable-zend-signals",
    "--without-valgrind", "--disable-opcache", "--without-sqlite3",
]
CONFIGURE_CACHE = {
    "ac_cv_func_getrusage": "no",  # wasi's struct rusage has only the two times
}
LIBS = ["-lwasi-emulated-signal", "-lwasi-emulated-process-clocks",
        "-lwasi-emulated-getpid", "-lm"]
STACK_SIZE = 8 * 1024 * 1024  # the C (shadow) stack; wasm-ld's default 64 KiB is too small
RECIPE_FILES = ("build.py", "build.sh", "compat", "patches", "bridge")


def log(msg: str) -> None:
    print(f"wasm build: {msg}", file=sys.stderr, flush=True)


def recipe_key() -> str:
    """SHA-256 over the pins and every recipe file: the cache key of php.wasm."""
    h = hashlib.sha256()
    h.update(json.dumps([PHP_DEB_VERSION, SOURCE_SHA256, ZIG_VERSION]).encode())
    for name in RECIPE_FILES:
        path = HERE / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            h.update(str(f.relative_to(HERE)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def zig_binary() -> Path:
    import ziglang  # the pinned toolchain (pyproject.toml)

    zig = Path(ziglang.__file__).resolve().parent / "zig"
    version = subprocess.run([str(zig), "version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    if version != ZIG_VERSION:
        raise SystemExit(f"wasm build: ziglang {version} installed, the recipe pins "
                         f"{ZIG_VERSION} (pip install ziglang=={ZIG_VERSION})")
    return zig


def write_tool_wrappers(zig: Path, bindir: Path) -> dict[str, str]:
    """cc/ar/ranlib scripts for autoconf and libtool (they want one word per tool)."""
    bindir.mkdir(parents=True, exist_ok=True)
    tools = {"cc": "cc -target wasm32-wasi", "ar": "ar", "ranlib": "ranlib"}
    paths = {}
    for name, sub in tools.items():
        path = bindir / f"wasm32-wasi-{name}"
        path.write_text(f'#!/bin/sh\nexec "{zig}" {sub} "$@"\n')
        path.chmod(0o755)
        paths[name] = str(path)
    return paths


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_sources(dl: Path) -> None:
    dl.mkdir(parents=True, exist_ok=True)
    if all((dl / n).is_file() and sha256_file(dl / n) == s for n, s in SOURCE_SHA256.items()):
        return
    log(f"fetching {PHP_PACKAGE}={PHP_DEB_VERSION} with apt-get source")
    proc = subprocess.run(
        ["apt-get", "source", "--download-only", "-qq", f"{PHP_PACKAGE}={PHP_DEB_VERSION}"],
        cwd=dl, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(
            f"wasm build: apt-get source {PHP_PACKAGE}={PHP_DEB_VERSION} failed (is there a "
            f"deb-src entry for bookworm, and dpkg-dev?):\n{proc.stderr.strip()}")
    for name, want in SOURCE_SHA256.items():
        got = sha256_file(dl / name)
        if got != want:
            raise SystemExit(f"wasm build: {name} has SHA-256 {got}, the recipe pins {want}")


def unpack(dl: Path, src: Path) -> None:
    if src.exists():
        shutil.rmtree(src)
    dsc = dl / f"{PHP_PACKAGE}_{PHP_DEB_VERSION}.dsc"
    subprocess.run(["dpkg-source", "--no-check", "--no-copy", "-x", str(dsc), str(src)],
                   check=True, capture_output=True)
    for patch in sorted((HERE / "patches").glob("*.diff")):
        log(f"applying {patch.name}")
        subprocess.run(["patch", "-p1", "-s", "-i", str(patch)], cwd=src, check=True)


def configure(src: Path, tools: dict[str, str], env: dict[str, str]) -> None:
    cache = [f"{k}={v}" for k, v in CONFIGURE_CACHE.items()]
    argv = ["./configure", *CONFIGURE, f"CC={tools['cc']}", f"AR={tools['ar']}",
            f"RANLIB={tools['ranlib']}", f"CFLAGS={' '.join(CFLAGS)}",
            f"LDFLAGS={' '.join(LIBS[:-1])}", *cache]
    with (BUILD / "configure.log").open("w") as out:
        proc = subprocess.run(argv, cwd=src, env=env, stdout=out, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f"wasm build: configure failed; see {BUILD / 'configure.log'}")
    # Force-include the compat header only now: configure's own probes must see the
    # real wasi-libc, not our declarations.
    makefile = src / "Makefile"
    text = makefile.read_text()
    extra = f" -Wno-date-time -include {HERE / 'compat' / 'wasi_compat.h'}"
    lines = [line + extra if line.startswith("CFLAGS_CLEAN = ") else line
             for line in text.splitlines()]
    makefile.write_text("\n".join(lines) + "\n")


def make_libphp(src: Path, env: dict[str, str]) -> Path:
    jobs = str(os.cpu_count() or 2)
    with (BUILD / "make.log").open("w") as out:
        proc = subprocess.run(["make", f"-j{jobs}"], cwd=src, env=env, stdout=out,
                              stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f"wasm build: make failed; see {BUILD / 'make.log'}")
    return src / "libs" / "libphp.a"


def link(src: Path, libphp: Path, tools: dict[str, str], env: dict[str, str]) -> Path:
    objdir = BUILD / "obj"
    objdir.mkdir(exist_ok=True)
    includes = [f"-I{src / d}" for d in ("", "main", "Zend", "TSRM", "sapi/embed")]
    common = [tools["cc"], *CFLAGS, "-D_GNU_SOURCE", "-Wall", "-Wextra",
              "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
    objects = []
    for source, flags in (
        (HERE / "bridge" / "provhost_wasm.c",
         ["-include", str(HERE / "compat" / "wasi_compat.h"), *includes]),
        (HERE / "compat" / "wasi_stubs.c", []),
        (HERE / "compat" / "wasi_mmap.c", []),
        (HERE / "compat" / "longjmp_tag.S", []),
    ):
        obj = objdir / (source.stem + ".o")
        subprocess.run([*common, *flags, "-c", str(source), "-o", str(obj)], env=env,
                       check=True)
        objects.append(str(obj))
    out = BUILD / "php.wasm.tmp"
    # No -export-dynamic: only _start and memory are exported (instantiation stays cheap).
    subprocess.run([tools["cc"], "-O2", *SJLJ, f"-Wl,-z,stack-size={STACK_SIZE}",
                    "-Wl,--strip-debug", "-o", str(out), *objects, str(libphp), *LIBS],
                   env=env, check=True)
    return out


def precompile() -> None:
    """php.cwasm: the module compiled for this wasmtime and engine configuration."""
    sys.path.insert(0, str(REPO / "sandbox"))
    from provhost_sandbox.wasm_worker import ensure_precompiled

    ensure_precompiled(BUILD / "php.wasm")


def build() -> None:
    key = recipe_key()
    stamp = BUILD / "recipe.sha256"
    if (BUILD / "php.wasm").is_file() and stamp.is_file() and stamp.read_text().strip() == key:
        precompile()  # cheap when php.cwasm is current
        return
    started = time.monotonic()
    BUILD.mkdir(parents=True, exist_ok=True)
    zig = zig_binary()
    tools = write_tool_wrappers(zig, BUILD / "bin")
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "LC_ALL": "C"}
    fetch_sources(BUILD / "dl")
    src = BUILD / "src"
    log("unpacking")
    unpack(BUILD / "dl", src)
    log("configuring (about a minute)")
    configure(src, tools, env)
    log("compiling PHP (a few minutes)")
    libphp = make_libphp(src, env)
    log("linking php.wasm")
    tmp = link(src, libphp, tools, env)
    tmp.replace(BUILD / "php.wasm")
    meta = {"php": PHP_UPSTREAM, "debian": PHP_DEB_VERSION, "zig": ZIG_VERSION,
            "int_size": 4, "recipe": key}
    (BUILD / "php.json").write_text(json.dumps(meta, indent=1) + "\n")
    stamp.write_text(key + "\n")
    precompile()
    log(f"php.wasm built in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    build()
