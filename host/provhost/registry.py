"""The module registry: which modules exist, which are enabled, and in which order they run.

Bundled modules come from the source tree's modules/ directory: they cannot be removed or
upgraded (only by upgrading provhost), but can be disabled.  Add-on modules are installed
from a zip (or directory), must carry a signature from a trusted key unless unsigned modules
are explicitly allowed, and can be upgraded and removed.

Order: enabled modules run sorted by their effective sequence compared as *strings*
("15" < "2" < "5", so a module can always be slotted between two others), ties broken by
module id (also as strings), so the order never depends on install time or disk order.

Safe upgrade: a new version is extracted and validated beside the old one; the store is
switched to it in one transaction; only then is the old directory deleted.  A failure at
any step leaves the old version active and untouched.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from provhost.moduleformat.archive import extract_module
from provhost.moduleformat.info import compare_versions
from provhost.moduleformat.loader import LoadedModule, ModuleInvalid, analyse_root
from provhost.moduleformat.model import FormatError
from provhost.moduletest.sequence import TESTS_DIR
from provhost.paths import Paths
from provhost.signing import SignatureError, Verdict, verify_tree
from provhost.store.base import ModuleState, Store

log = logging.getLogger("provhost.registry")


def load_root(root: Path) -> LoadedModule:
    """Parse and check a module that is already unpacked on disk (bundled, or installed)."""
    loaded, problems = analyse_root(root)
    if loaded is None:
        raise ModuleInvalid(problems)
    return loaded


class RegistryError(Exception):
    """A registry operation the administrator asked for cannot be done; the message says why."""


@dataclass
class ModuleEntry:
    state: ModuleState
    module: LoadedModule

    @property
    def id(self) -> str:
        return self.state.module_id

    @property
    def sequence(self) -> str:
        return self.state.sequence if self.state.sequence is not None else self.module.info.sequence

    @property
    def active(self) -> bool:
        """Runs in the chain: enabled and not quarantined."""
        return self.state.enabled and not self.state.quarantined


def chain_order(entries: list[ModuleEntry]) -> list[ModuleEntry]:
    """Sequence as a string, then module id: deterministic whatever the input order."""
    return sorted(entries, key=lambda e: (e.sequence, e.id))


def validate_sequence(sequence: str) -> str:
    s = sequence.strip()
    if not s or not s.isdigit():
        raise RegistryError(f"sequence must be a string of digits (e.g. 4 or 15), got {sequence!r}")
    return s


class Registry:
    def __init__(self, store: Store, paths: Paths) -> None:
        self.store = store
        self.paths = paths
        self._entries: dict[str, ModuleEntry] = {}
        self.problems: list[str] = []  # modules that could not be loaded, for the operator

    # -- loading ----------------------------------------------------------------------
    def load(self) -> None:
        """(Re)build the in-memory view from disk and the store.  A broken module is logged
        and left out; it never stops the others from loading."""
        self._entries.clear()
        self.problems.clear()
        self._sync_bundled()
        for state in self.store.list_modules():
            if state.kind == "bundled":
                continue  # loaded above from the tree, or gone from it: nothing to do
            try:
                module = load_root(Path(state.path))
            except (FormatError, OSError) as e:
                self._problem(f"add-on module {state.module_id}: cannot load: {e}")
                continue
            self._entries[state.module_id] = ModuleEntry(state, module)

    def _problem(self, message: str) -> None:
        log.error("%s", message)
        self.problems.append(message)

    def _sync_bundled(self) -> None:
        bundled = self.paths.bundled_dir
        if not bundled.is_dir():
            return
        for d in sorted(p for p in bundled.iterdir() if p.is_dir()):
            try:
                module = load_root(d)
            except (FormatError, OSError) as e:
                self._problem(f"bundled module {d.name}: cannot load: {e}")
                continue
            mid = module.info.id
            state = self.store.get_module(mid)
            if state is not None and state.kind == "addon":
                self._problem(f"bundled module {mid} is shadowed by an add-on with the same id")
                continue
            if state is None or state.version != module.info.version or state.path != str(d):
                state = ModuleState(
                    module_id=mid, kind="bundled", version=module.info.version,
                    enabled=True if state is None else state.enabled,
                    sequence=None if state is None else state.sequence,
                    signed_by="bundled", path=str(d), installed_at=time.time(),
                    quarantined=None if state is None else state.quarantined,
                    runtime=None if state is None else state.runtime,
                )
                self.store.put_module(state)
            self._entries[mid] = ModuleEntry(state, module)

    # -- queries ----------------------------------------------------------------------
    def entries(self) -> list[ModuleEntry]:
        """Every module, in chain order (disabled ones included, for listings)."""
        return chain_order(list(self._entries.values()))

    def chain(self) -> list[ModuleEntry]:
        return [e for e in self.entries() if e.active]

    def get(self, module_id: str) -> ModuleEntry:
        entry = self._entries.get(module_id)
        if entry is None:
            raise RegistryError(f"no module {module_id!r} (see `provhost module list`)")
        return entry

    # -- changes ----------------------------------------------------------------------
    def _update(self, entry: ModuleEntry, **changes: object) -> ModuleEntry:
        for k, v in changes.items():
            setattr(entry.state, k, v)
        self.store.put_module(entry.state)
        return entry

    def enable(self, module_id: str) -> ModuleEntry:
        """Enabling also lifts a quarantine: the administrator has looked at it."""
        return self._update(self.get(module_id), enabled=True, quarantined=None)

    def disable(self, module_id: str) -> ModuleEntry:
        return self._update(self.get(module_id), enabled=False)

    def set_sequence(self, module_id: str, sequence: str | None) -> ModuleEntry:
        value = None if sequence is None else validate_sequence(sequence)
        return self._update(self.get(module_id), sequence=value)

    def set_runtime(self, module_id: str, runtime: str | None) -> ModuleEntry:
        if runtime not in (None, "native", "wasm"):
            raise RegistryError(f"unknown runtime {runtime!r}: use native or wasm")
        return self._update(self.get(module_id), runtime=runtime)

    def quarantine(self, module_id: str, reason: str) -> ModuleEntry:
        log.warning("module %s quarantined: %s", module_id, reason)
        return self._update(self.get(module_id), quarantined=reason)

    def verify(self, source: Path) -> tuple[LoadedModule, Verdict]:
        """Extract into a scratch directory, validate and check the signature."""
        with tempfile.TemporaryDirectory(dir=self.paths.data_dir) as scratch:
            root = extract_module(source, Path(scratch) / "m")
            module = load_root(root)
            return module, self._verdict(root)

    def _verdict(self, root: Path) -> Verdict:
        try:
            return verify_tree(root, self.store.trusted_keys())
        except SignatureError as e:
            raise RegistryError(f"signature check failed: {e}") from None

    def install(
        self, source: Path, *, allow_unsigned: bool = False, force: bool = False
    ) -> ModuleEntry:
        """Install or upgrade an add-on module from a zip archive or a directory."""
        self.paths.ensure()
        staging = Path(tempfile.mkdtemp(prefix=".install-", dir=self.paths.addons_dir))
        try:
            try:
                root = extract_module(source, staging / "m")
                module = load_root(root)
            except FormatError as e:
                raise RegistryError(f"invalid module: {e}") from None
            verdict = self._verdict(root)
            if not verdict.signed and not allow_unsigned:
                raise RegistryError(
                    "the module is not signed; only modules signed by a trusted key can be "
                    "installed (for testing your own module, allow unsigned modules explicitly: "
                    "--allow-unsigned)"
                )
            mid, version = module.info.id, module.info.version
            old = self._entries.get(mid)
            if old is not None and old.state.kind == "bundled":
                raise RegistryError(
                    f"{mid!r} is a bundled module: it cannot be replaced; give the add-on another "
                    f"id and disable the bundled one"
                )
            if old is not None and not force and compare_versions(version, old.state.version) <= 0:
                raise RegistryError(
                    f"{mid} {version} is not newer than the installed {old.state.version} "
                    f"(use --force to install it anyway)"
                )
            final = self.paths.addons_dir / f"{mid}-{version}-{int(time.time() * 1000)}"
            # Boot sequences (tests/) are for `provhost module test` only: never installed,
            # so the sandbox cannot read them nor a script send them (the signature above
            # covered them; nothing re-checks it after install).
            shutil.rmtree(root / TESTS_DIR, ignore_errors=True)
            root.rename(final)
            state = ModuleState(
                module_id=mid, kind="addon", version=version,
                enabled=True if old is None else old.state.enabled,
                sequence=None if old is None else old.state.sequence,
                signed_by=verdict.key_name, path=str(final), installed_at=time.time(),
                quarantined=None, runtime=None if old is None else old.state.runtime,
            )
            try:
                entry = ModuleEntry(state, load_root(final))
                self.store.put_module(state)
            except BaseException:
                shutil.rmtree(final, ignore_errors=True)
                raise
            self._entries[mid] = entry
            if old is not None and old.state.path != str(final):
                shutil.rmtree(old.state.path, ignore_errors=True)
            log.info("installed module %s %s (%s)", mid, version,
                     f"signed by {verdict.key_name}" if verdict.signed else "UNSIGNED")
            return entry
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def remove(self, module_id: str) -> None:
        entry = self.get(module_id)
        if entry.state.kind == "bundled":
            raise RegistryError(f"{module_id} is a bundled module: it can be disabled, not removed")
        self.store.delete_module(module_id)
        del self._entries[module_id]
        shutil.rmtree(entry.state.path, ignore_errors=True)
