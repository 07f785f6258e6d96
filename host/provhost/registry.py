"""The module registry: which modules exist, which are enabled, and in which order they run.

Bundled modules come from the source tree's modules/ directory: they cannot be removed or
upgraded (only by upgrading provhost), but can be disabled.  Add-on modules are installed
from a zip (or directory), must carry a signature from a trusted key unless unsigned modules
are explicitly allowed, and can be upgraded and removed.

Order: enabled modules run sorted by their effective sequence compared as *strings*
("15" < "2" < "5", so a module can always be slotted between two others), ties broken by
module id (also as strings), so the order never depends on install time or disk order.

Safe upgrade: a new version is extracted and validated beside the old one; the store is
switched to it in one transaction; the old directory is removed later, once no worker in
any process uses it (module_dirs.py).  A failure at any step leaves the old version active
and untouched.  A module in development (`module dev`) runs from a validated snapshot of
its author's directory, renewed by `reload`.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from provhost.moduleformat.archive import extract_module
from provhost.moduleformat.info import compare_versions
from provhost.moduleformat.loader import LoadedModule, ModuleInvalid, analyse_root
from provhost.moduleformat.model import FormatError
from provhost.moduleformat.names import TESTS_DIR
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
    def build(self) -> str:
        """What the phones' configuration fingerprints name: the version, and for a module
        in development its snapshot too (every reload may change what phones get)."""
        if self.state.dev_source is None:
            return self.state.version
        return f"{self.state.version}@{Path(self.state.path).name}"

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


@dataclass(frozen=True)
class StagedModule:
    """A module unpacked and verified in its final directory, not yet installed."""

    path: Path
    module: LoadedModule
    verdict: Verdict


class Registry:
    def __init__(self, store: Store, paths: Paths) -> None:
        self.store = store
        self.paths = paths
        self._entries: dict[str, ModuleEntry] = {}
        self.problems: list[str] = []  # modules that could not be loaded, for the operator

    # -- loading ----------------------------------------------------------------------
    def load(self, store: Store | None = None) -> None:
        """(Re)build the in-memory view from disk and the store.  A broken module is logged
        and left out; it never stops the others from loading.

        The view is built aside and swapped in at the end, so readers (the chain, on
        another thread) never see it half-built; `store` lets a thread use its own
        connection."""
        store = store or self.store
        entries: dict[str, ModuleEntry] = {}
        problems: list[str] = []
        self._sync_bundled(store, entries, problems)
        for state in store.list_modules():
            if state.kind == "bundled":
                continue  # loaded above from the tree, or gone from it: nothing to do
            try:
                module = load_root(Path(state.path))
            except (FormatError, OSError) as e:
                self._problem(problems, f"add-on module {state.module_id}: cannot load: {e}")
                continue
            entries[state.module_id] = ModuleEntry(state, module)
        self._entries, self.problems = entries, problems

    @staticmethod
    def _problem(problems: list[str], message: str) -> None:
        log.error("%s", message)
        problems.append(message)

    def _sync_bundled(self, store: Store, entries: dict[str, ModuleEntry],
                      problems: list[str]) -> None:
        bundled = self.paths.bundled_dir
        if not bundled.is_dir():
            return
        for d in sorted(p for p in bundled.iterdir() if p.is_dir()):
            try:
                module = load_root(d)
            except (FormatError, OSError) as e:
                self._problem(problems, f"bundled module {d.name}: cannot load: {e}")
                continue
            mid = module.info.id
            state = store.get_module(mid)
            if state is not None and state.kind == "addon":
                self._problem(problems, f"bundled module {mid} is shadowed by an add-on with the same id")
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
                store.put_module(state)
            entries[mid] = ModuleEntry(state, module)

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
        staged = self.stage(source, allow_unsigned=allow_unsigned,
                            trusted=self.store.trusted_keys())
        return self.commit(staged, force=force)

    def stage(self, source: Path, *, allow_unsigned: bool,
              trusted: dict[str, bytes]) -> StagedModule:
        """The slow half of an install: unpack, load and verify the module into its final
        directory.  Touches neither the store nor the registry's entries, so the server
        runs it in a thread (unzip and Ed25519 off the loop); `commit` finishes it."""
        self.paths.ensure()
        staging = Path(tempfile.mkdtemp(prefix=".install-", dir=self.paths.addons_dir))
        try:
            try:
                root = extract_module(source, staging / "m")
                module = load_root(root)
            except FormatError as e:
                raise RegistryError(f"invalid module: {e}") from None
            try:
                verdict = verify_tree(root, trusted)
            except SignatureError as e:
                raise RegistryError(f"signature check failed: {e}") from None
            if not verdict.signed and not allow_unsigned:
                raise RegistryError(
                    "the module is not signed; only modules signed by a trusted key can be "
                    "installed (for testing your own module, allow unsigned modules explicitly: "
                    "--allow-unsigned)"
                )
            mid, version = module.info.id, module.info.version
            final = self.paths.addons_dir / f"{mid}-{version}-{int(time.time() * 1000)}"
            # Boot sequences (tests/) are for `provhost module test` only: never installed,
            # so the sandbox cannot read them nor a script send them (the signature above
            # covered them; nothing re-checks it after install).
            shutil.rmtree(root / TESTS_DIR, ignore_errors=True)
            root.rename(final)
            try:
                return StagedModule(final, load_root(final), verdict)
            except BaseException:
                shutil.rmtree(final, ignore_errors=True)
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def commit(self, staged: StagedModule, *, force: bool = False) -> ModuleEntry:
        """The quick half: check it against what is installed, switch the store to it in
        one transaction, then delete the old version's directory.  A refusal removes the
        staged directory and leaves everything as it was."""
        module = staged.module
        mid, version = module.info.id, module.info.version
        try:
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
            state = ModuleState(
                module_id=mid, kind="addon", version=version,
                enabled=True if old is None else old.state.enabled,
                sequence=None if old is None else old.state.sequence,
                signed_by=staged.verdict.key_name, path=str(staged.path),
                installed_at=time.time(), quarantined=None,
                runtime=None if old is None else old.state.runtime,
            )
            entry = ModuleEntry(state, module)
            self.store.put_module(state)
        except BaseException:
            shutil.rmtree(staged.path, ignore_errors=True)
            raise
        self._entries[mid] = entry
        # the old version's files stay until no worker uses them (module_dirs.collect)
        log.info("installed module %s %s (%s)", mid, version,
                 f"signed by {staged.verdict.key_name}" if staged.verdict.signed else "UNSIGNED")
        return entry

    def remove(self, module_id: str) -> None:
        entry = self.get(module_id)
        if entry.state.kind == "bundled":
            raise RegistryError(f"{module_id} is a bundled module: it can be disabled, not removed")
        self.store.delete_module(module_id)
        del self._entries[module_id]
        # its files go once no worker uses them (module_dirs.collect); a dev module's
        # source directory is the author's and is never touched

    # -- modules in development ---------------------------------------------------------
    def install_dev(self, source: Path) -> ModuleEntry:
        """`module dev PATH`: the module at PATH, run from a validated snapshot of it."""
        source = source.resolve()
        module, snapshot = self._dev_snapshot(source)
        mid = module.info.id
        old = self._entries.get(mid)
        if old is not None and old.state.kind == "bundled":
            raise RegistryError(f"{mid!r} is a bundled module: give the module in development "
                                "another id and disable the bundled one")
        return self._put_dev(mid, module, snapshot, source, old)

    def reload(self, module_id: str) -> ModuleEntry:
        """`module reload ID`: re-read a dev module's files; on any error the previous
        snapshot stays active and the error names file and line."""
        entry = self.get(module_id)
        if entry.state.dev_source is None:
            raise RegistryError(f"{module_id} is not a module in development (install it with "
                                "`provhost module dev PATH`; other modules are upgraded)")
        module, snapshot = self._dev_snapshot(Path(entry.state.dev_source))
        if module.info.id != module_id:
            shutil.rmtree(snapshot, ignore_errors=True)
            raise RegistryError(f"{entry.state.dev_source} now holds module "
                                f"{module.info.id!r}, not {module_id!r}")
        return self._put_dev(module_id, module, snapshot, Path(entry.state.dev_source), entry)

    def _dev_snapshot(self, source: Path) -> tuple[LoadedModule, Path]:
        if not source.is_dir():
            raise RegistryError(f"{source}: not a module directory")
        try:
            load_root(source)
        except FormatError as e:
            raise RegistryError(f"{e}") from None
        errors = lint_php(source)
        if errors:
            raise RegistryError("; ".join(errors[:5]))
        self.paths.ensure()
        snapshot = Path(tempfile.mkdtemp(prefix=".dev-", dir=self.paths.addons_dir))
        final = snapshot.with_name(f"{source.name}-dev-{int(time.time() * 1000)}")
        shutil.copytree(source, snapshot / "m", symlinks=False,
                        ignore=shutil.ignore_patterns(TESTS_DIR, ".*"))
        (snapshot / "m").rename(final)
        snapshot.rmdir()
        try:
            return load_root(final), final
        except FormatError as e:  # edited while we copied: the copy is what counts
            shutil.rmtree(final, ignore_errors=True)
            raise RegistryError(f"{e}") from None

    def _put_dev(self, mid: str, module: LoadedModule, snapshot: Path, source: Path,
                 old: ModuleEntry | None) -> ModuleEntry:
        state = ModuleState(
            module_id=mid, kind="addon", version=module.info.version,
            enabled=True if old is None else old.state.enabled,
            sequence=None if old is None else old.state.sequence, signed_by=None,
            path=str(snapshot), installed_at=time.time(), quarantined=None,
            runtime=None if old is None else old.state.runtime, dev_source=str(source))
        self.store.put_module(state)
        entry = ModuleEntry(state, module)
        self._entries[mid] = entry
        log.info("module %s %s in development from %s (snapshot %s)", mid,
                 module.info.version, source, snapshot.name)
        return entry


def lint_php(root: Path) -> list[str]:
    """`php -l` of every PHP script of a module: 'providers/x.php:12: ...' per error."""
    errors = []
    for path in sorted(root.rglob("*.php")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(f"{TESTS_DIR}/"):
            continue
        result = subprocess.run(["php", "-n", "-l", str(path)], capture_output=True, text=True,
                                timeout=30, check=False)
        if result.returncode != 0:
            message = (result.stderr or result.stdout).strip().splitlines()
            text = next((m for m in message if "error" in m.lower()), message[0] if message
                        else "syntax error")
            line = re.search(r" on line (\d+)", text)
            text = re.sub(r" in \S+ on line \d+", "", text).replace("PHP ", "", 1)
            errors.append(f"{rel}:{line.group(1) if line else '?'}: {text}")
    return errors
