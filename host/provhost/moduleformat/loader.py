"""Loading a whole module: unpack safely, parse every descriptor, cross-check references.

`check_module` collects every problem (errors and warnings, each with file and line) so
`provhost module check` can print them all; `load_module` is the registry's entry point and
refuses a module with any error.  Decisions on severity:

errors   -- anything that makes the module fail at run time in a way the author can fix
            now: unparsable files, no provider, FW naming an unknown slot, RESYNC or
            DIALPLAN_TYPE naming a missing script or an unknown built-in, a slot without a
            preprocessing script (uploads could never succeed) or with both .sh and .php,
            a template with an unterminated expansion.
warnings -- suspicious but workable: an unknown UPPERCASE option (probably a typo; custom
            options should be lowercase), SIPNOTIFY_* without RESYNC=SIPNOTIFY, a value
            with an expansion that can only be checked once expanded, an empty phone_types.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from provhost.moduleformat.archive import DEFAULT_LIMITS, Limits, extract_module
from provhost.moduleformat.firmware_packages import (
    PACKAGES_FILE,
    FirmwarePackage,
    parse_packages,
    unreferenced_files,
)
from provhost.moduleformat.info import INFO_FILE, parse_info
from provhost.moduleformat.legacy import REPLACEMENTS, legacy_calls
from provhost.moduleformat.model import (
    KNOWN_FIRMWARE_OPTIONS,
    KNOWN_PHONE_OPTIONS,
    FirmwareType,
    FormatError,
    ModuleInfo,
    PhoneType,
)
from provhost.moduleformat.names import is_script_name
from provhost.moduleformat.templates import (
    compile_template_bytes,
    doubtful_braces,
    has_expansion,
)
from provhost.moduleformat.types_file import parse_firmware_types, parse_phone_types

PHONE_TYPES_FILE = "phone_types"
FIRMWARE_TYPES_FILE = "firmware_types"
BUILTIN_RESYNC = frozenset({"SIPNOTIFY"})


@dataclass(frozen=True)
class Problem:
    severity: str  # "error" or "warning"
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.severity}: {self.message}"


@dataclass
class LoadedModule:
    """A validated module on disk plus everything parsed from it."""

    root: Path
    info: ModuleInfo
    phone_types: list[PhoneType]
    firmware_types: list[FirmwareType]
    providers: list[str]  # relative paths, sorted: "providers/spa.php"
    templates: list[str]  # template names: "spa_main" for templates/spa_main.tpl
    dialplans: list[str]  # dialplan names: "spa" for dialplans/spa.php
    resync_scripts: list[str]  # resync names: "spa" for resync/spa.php
    firmware_scripts: dict[str, str]  # script base name -> "firmware/logo.sh"
    warnings: list[Problem] = field(default_factory=list)
    firmware_packages: list[FirmwarePackage] = field(default_factory=list)

    def phone_type(self, ident: str) -> PhoneType | None:
        return next((t for t in self.phone_types if t.ident == ident), None)

    def firmware_type(self, ident: str) -> FirmwareType | None:
        return next((t for t in self.firmware_types if t.ident == ident), None)


class ModuleInvalid(FormatError):
    """load_module found errors; `problems` holds all of them (and the warnings)."""

    def __init__(self, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        first = errors[0]
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        super().__init__(first.file, first.line, first.message + more)
        self.problems = problems


def _names(root: Path, folder: str, suffix: str) -> list[str]:
    directory = root / folder
    if not directory.is_dir():
        return []
    return sorted(
        p.name[: -len(suffix)] for p in directory.iterdir()
        if p.is_file() and p.name.endswith(suffix) and len(p.name) > len(suffix)
    )


def _read_text(root: Path, name: str, problems: list[Problem]) -> str | None:
    """The file's text; None when it is missing or not UTF-8 (the latter is reported)."""
    path = root / name
    if not path.is_file():
        return None
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem("error", name, None, f"not valid UTF-8 text ({exc.reason} at "
                                                     f"byte {exc.start})"))
        return None


class _Checker:
    """Collects Problems while analysing an extracted module root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def error(self, file: str, line: int | None, message: str) -> None:
        self.problems.append(Problem("error", file, line, message))

    def warn(self, file: str, line: int | None, message: str) -> None:
        self.problems.append(Problem("warning", file, line, message))

    def collect(self, errors: list[FormatError]) -> None:
        for e in errors:
            self.error(e.file, e.line, e.message)

    def run(self) -> LoadedModule | None:
        root = self.root
        info = self.info()
        phone_types = self.types(PHONE_TYPES_FILE, parse_phone_types, required=True)
        firmware_types = self.types(FIRMWARE_TYPES_FILE, parse_firmware_types, required=False)
        providers = [f"providers/{n}.php" for n in _names(root, "providers", ".php")]
        if not providers:
            self.error("providers/", None, "expected at least one provider providers/NAME.php")
        templates = _names(root, "templates", ".tpl")
        dialplans = _names(root, "dialplans", ".php")
        resync = _names(root, "resync", ".php")
        fw_scripts = self.firmware_scripts(firmware_types)
        self.check_phone_options(phone_types, {f.ident for f in firmware_types}, dialplans,
                                 resync)
        self.check_firmware_options(firmware_types)
        self.check_templates(templates)
        self.check_legacy_php()
        packages = self.firmware_packages(firmware_types)
        if any(p.severity == "error" for p in self.problems) or info is None:
            return None
        return LoadedModule(root, info, phone_types, firmware_types, providers, templates,
                            dialplans, resync, fw_scripts,
                            [p for p in self.problems if p.severity == "warning"], packages)

    def firmware_packages(self, slots: list[FirmwareType]) -> list[FirmwarePackage]:
        """The package list (optional), cross-checked against the slots."""
        text = _read_text(self.root, PACKAGES_FILE, self.problems)
        if text is None:
            return []
        errors: list[FormatError] = []
        packages = parse_packages(text, PACKAGES_FILE, errors)
        self.collect(errors)
        known = {s.ident for s in slots}
        for pkg in packages:
            if pkg.slot not in known:
                self.error(PACKAGES_FILE, pkg.line, f"package {pkg.id}: slot {pkg.slot!r} is "
                                                    "not declared in firmware_types")
            if pkg.licence is not None and not (self.root / pkg.licence).is_file():
                self.error(PACKAGES_FILE, pkg.line, f"package {pkg.id}: licence file "
                                                    f"{pkg.licence} is missing")
            # a file without uri or sha256 is deliberate (a vendor behind a login, or one
            # that publishes no checksum): `firmware packages` shows it as UNVERIFIED
        for name, line in unreferenced_files(text, packages):
            self.warn(PACKAGES_FILE, line, f"[file {name}] is named by no package's files")
        return packages

    def info(self) -> ModuleInfo | None:
        text = _read_text(self.root, INFO_FILE, self.problems)
        if text is None:
            if not (self.root / INFO_FILE).is_file():
                self.error(INFO_FILE, None, "the module has no info file")
            return None
        try:
            return parse_info(text)
        except FormatError as exc:
            self.collect([exc])
            return None

    def types(self, filename: str, parse, required: bool) -> list:
        text = _read_text(self.root, filename, self.problems)
        if text is None:
            if required and not (self.root / filename).is_file():
                self.error(filename, None, f"the module has no {filename} file")
            return []
        errors: list[FormatError] = []
        items = parse(text, filename, errors)
        self.collect(errors)
        if required and not items and not errors:
            self.warn(filename, None, "no phone types are declared")
        return items

    def firmware_scripts(self, slots: list[FirmwareType]) -> dict[str, str]:
        found: dict[str, str] = {}
        for slot in slots:
            script = slot.script
            if has_expansion(script) or not is_script_name(script):
                self.error(FIRMWARE_TYPES_FILE, slot.line,
                           f"slot {slot.ident!r}: SCRIPT must be a plain script name, "
                           f"found {script!r}")
                continue
            candidates = [f"firmware/{script}{ext}" for ext in (".sh", ".php")
                          if (self.root / f"firmware/{script}{ext}").is_file()]
            if not candidates:
                self.error(FIRMWARE_TYPES_FILE, slot.line,
                           f"slot {slot.ident!r} needs a preprocessing script "
                           f"firmware/{script}.sh or firmware/{script}.php")
            elif len(candidates) > 1:
                self.error(FIRMWARE_TYPES_FILE, slot.line,
                           f"slot {slot.ident!r}: both firmware/{script}.sh and "
                           f"firmware/{script}.php exist; keep only one")
            else:
                found[script] = candidates[0]
        return found

    def check_phone_options(self, types: list[PhoneType], slots: set[str],
                            dialplans: list[str], resync: list[str]) -> None:
        f = PHONE_TYPES_FILE
        for t in types:
            opts = t.options
            for name, value in opts.items():
                if has_expansion(value) and name in ("RESYNC", "DIALPLAN_TYPE", "FW"):
                    self.warn(f, t.line, f"{t.ident}: {name}={value!r} uses an expansion and "
                                         "can only be checked when expanded")
                if name not in KNOWN_PHONE_OPTIONS and name.isupper():
                    self.warn(f, t.line, f"{t.ident}: unknown option {name!r} (custom options "
                                         "should be lowercase to avoid clashes)")
            fw = opts.get("FW")
            if fw and not has_expansion(fw):
                for slot in (s.strip() for s in fw.split(",")):
                    if slot not in slots:
                        self.error(f, t.line, f"{t.ident}: FW names the firmware slot "
                                              f"{slot!r}, which firmware_types does not declare")
            method = opts.get("RESYNC")
            if method and not has_expansion(method):
                if method.isupper():
                    if method not in BUILTIN_RESYNC:
                        self.error(f, t.line, f"{t.ident}: unknown built-in resync method "
                                              f"{method!r} (built-in: "
                                              f"{', '.join(sorted(BUILTIN_RESYNC))}; a "
                                              "script resync/NAME.php needs a lowercase name)")
                elif method not in resync:
                    self.error(f, t.line, f"{t.ident}: RESYNC={method} needs the script "
                                          f"resync/{method}.php")
            if any(k.startswith("SIPNOTIFY_") for k in opts) and method != "SIPNOTIFY":
                self.warn(f, t.line, f"{t.ident}: SIPNOTIFY_* options have no effect without "
                                     "RESYNC=SIPNOTIFY")
            dialplan = opts.get("DIALPLAN_TYPE")
            if dialplan and not has_expansion(dialplan) and dialplan not in dialplans:
                self.error(f, t.line, f"{t.ident}: DIALPLAN_TYPE={dialplan} needs the script "
                                      f"dialplans/{dialplan}.php")

    def check_firmware_options(self, slots: list[FirmwareType]) -> None:
        for s in slots:
            for name in s.options:
                if name not in KNOWN_FIRMWARE_OPTIONS and name.isupper():
                    self.warn(FIRMWARE_TYPES_FILE, s.line,
                              f"{s.ident}: unknown option {name!r} (custom options should be "
                              "lowercase)")

    def check_legacy_php(self) -> None:
        """Warn about calls of functions PHP 8 removed or Kerio deprecated (they still run,
        through the sandbox's compatibility layer)."""
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root).as_posix()
            if not path.is_file() or not rel.endswith((".php", ".tpl")) or rel.startswith(
                    ("tests/", "signature")):
                continue
            text = path.read_bytes().decode("utf-8", "replace")
            for line, name in legacy_calls(text):
                self.warn(rel, line, f"{name}() was removed from PHP 8 or deprecated by "
                                     f"Kerio; provhost emulates it, but use "
                                     f"{REPLACEMENTS[name]}")

    def check_templates(self, templates: list[str]) -> None:
        for name in templates:
            rel = f"templates/{name}.tpl"
            source = (self.root / rel).read_bytes()
            try:
                compile_template_bytes(source, rel)
            except FormatError as exc:
                self.collect([exc])
                continue
            for line, braces in doubtful_braces(source.decode("utf-8", "replace")):
                self.warn(rel, line, f"{braces[:60]} names a variable but is kept as literal "
                                     "text: it is not a PHP expression (a blank after '{', an "
                                     "unbalanced bracket?); write {$name} or {expression}")


def analyse_root(root: Path) -> tuple[LoadedModule | None, list[Problem]]:
    """Parse and cross-check an already unpacked module root."""
    checker = _Checker(Path(root))
    loaded = checker.run()
    return loaded, checker.problems


def load_module(source: Path, dest: Path, limits: Limits = DEFAULT_LIMITS) -> LoadedModule:
    """Unpack `source` (zip or directory) into the fresh directory `dest`, parse and check it.

    Returns the LoadedModule (root inside `dest`, warnings attached) or raises ArchiveError
    (unsafe archive) / ModuleInvalid (every problem found, errors first in its message).
    """
    root = extract_module(source, dest, limits)
    loaded, problems = analyse_root(root)
    if loaded is None:
        raise ModuleInvalid(problems)
    return loaded


def check_module(source: Path, limits: Limits = DEFAULT_LIMITS) -> list[Problem]:
    """Every problem of the module at `source` (zip or directory), errors and warnings,
    in the order found; an empty list means the module is clean."""
    with tempfile.TemporaryDirectory(prefix="provhost-check-") as tmp:
        try:
            root = extract_module(source, Path(tmp) / "module", limits)
        except FormatError as exc:
            return [Problem("error", exc.file, exc.line, exc.message)]
        _, problems = analyse_root(root)
        problems += check_sequences(root)
    return problems


def check_sequences(root: Path) -> list[Problem]:
    """Errors in the boot sequences of tests/ (provhost.moduletest), as Problems."""
    from provhost.moduletest.discover import read_sequences

    _, found = read_sequences(root)
    return [Problem("error", p.file, None, f"{p.where}: {p.message}" if p.where else p.message)
            for p in found]
