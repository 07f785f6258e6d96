"""`provhost module compat`: does an existing PHP module work, and the same on every runtime?

For a module source (directory or zip) the check builds a scratch data directory (nothing
of the real installation is touched), installs the module there, registers one made-up
phone per phone type with one line, and replays each type's REVIEW list through the real
chain, once per runtime (provhost.review: the mechanism of "Download configuration", so
the files are exactly what a phone would get), then any extra requests given.  It reports
each file per runtime and whether the runtimes produced identical bytes.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provhost.chain.provisioner import Provisioner
from provhost.engine import Engine
from provhost.paths import Paths
from provhost.review import ReviewedFile, ReviewError, parse_review, replay, review_phone
from provhost.runtime.interface import Runtime
from provhost.service import Service


def _native() -> Runtime:
    from provhost.runtime.native import NativeRuntime

    return NativeRuntime()


def _wasm() -> Runtime:
    from provhost.runtime.wasm import WasmRuntime

    return WasmRuntime()


RUNTIMES: dict[str, Callable[[], Runtime]] = {"native": _native, "wasm": _wasm}


@dataclass
class TypeResult:
    phone_type: str
    mac: str
    files: dict[str, list[ReviewedFile]] = field(default_factory=dict)  # runtime -> files
    errors: dict[str, str] = field(default_factory=dict)  # runtime -> ReviewError text


@dataclass
class CompatReport:
    module_id: str
    version: str
    runtimes: list[str]
    types: list[TypeResult]

    def rows(self) -> list[dict[str, Any]]:
        """One row per (phone type, REVIEW entry), runtimes side by side."""
        out = []
        for t in self.types:
            for rt, message in t.errors.items():
                out.append({"type": t.phone_type, "entry": "-", "runtime": rt,
                            "result": f"ERROR: {message}", "identical": None})
            first = self.runtimes[0]
            for i, f in enumerate(t.files.get(first, [])):
                row: dict[str, Any] = {"type": t.phone_type, "entry": f.entry.text}
                datas = []
                for rt in self.runtimes:
                    files = t.files.get(rt, [])
                    g = files[i] if i < len(files) else None
                    row[rt] = "-" if g is None else (
                        f"{g.status} {len(g.data)} B" if g.data is not None else g.status)
                    datas.append(None if g is None else g.data)
                row["identical"] = all(d == datas[0] for d in datas)
                out.append(row)
        return out

    @property
    def ok(self) -> bool:
        return all(not t.errors for t in self.types) and all(
            r.get("identical") is not False for r in self.rows())


@contextlib.asynccontextmanager
async def _engine(svc: Service, runtime_name: str) -> AsyncIterator[Provisioner]:
    async with RUNTIMES[runtime_name]() as runtime:
        engine = Engine(svc.state, runtime)
        try:
            await engine.refresh()
            yield Provisioner(engine)
        finally:
            await engine.aclose()


async def compat_check(source: Path, runtimes: list[str], out_dir: Path | None = None,
                       requests: list[str] | None = None) -> CompatReport:
    unknown = [r for r in runtimes if r not in RUNTIMES]
    if unknown:
        raise ValueError(f"unknown runtime {unknown[0]!r}; use {', '.join(RUNTIMES)}")
    with tempfile.TemporaryDirectory(prefix="provhost-compat-") as scratch:
        root = Path(scratch)
        root.chmod(0o755)  # firmware sandboxes run as nobody
        (root / "bundled").mkdir()
        svc = Service(Paths(data_dir=root / "data", bundled_dir=root / "bundled"))
        try:
            installed = svc.module_install(source, allow_unsigned=True)
            module_id = installed["id"]
            entry = svc.registry.get(module_id)
            svc.store.add_user("compat", "Compat Check")
            types = []
            for n, ptype in enumerate(entry.module.phone_types, start=1):
                mac = f"0200{n:08x}"
                svc.phone_add(mac, ptype.ident, module_id)
                svc.line_add(str(1000 + n), user="compat", phone=mac)
                types.append(TypeResult(ptype.ident, mac))
            extra = parse_review(" ".join(requests)) if requests else []
            if extra:
                types.append(TypeResult("(requests)", ""))
            for rt in runtimes:
                async with _engine(svc, rt) as prov:
                    for t in types:
                        if not t.mac:
                            t.files[rt] = await replay(prov, extra, required=False)
                            continue
                        try:
                            t.files[rt] = await review_phone(prov, t.mac)
                        except ReviewError as e:
                            t.errors[rt] = str(e)
            report = CompatReport(module_id, installed["version"], runtimes, types)
        finally:
            svc.close()
    if out_dir is not None:
        for t in types:
            for rt, files in t.files.items():
                for f in files:
                    if f.data is not None and f.archive_name:
                        target = out_dir / rt / t.phone_type / f.archive_name
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(f.data)
    return report
