"""What a parsed module is made of.  Produced by the parsers, consumed by the registry."""

from __future__ import annotations

from dataclasses import dataclass, field


class FormatError(Exception):
    """A module file is malformed.  The message names the file, the line and what was expected."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {message}")


# Options with a meaning to provhost; any other option is a custom (module) option.
KNOWN_PHONE_OPTIONS = frozenset(
    {"RESYNC", "SIPNOTIFY_auth", "SIPNOTIFY_event", "SIPNOTIFY_arg", "REVIEW",
     "DIALPLAN_TYPE", "FW"}
)
KNOWN_FIRMWARE_OPTIONS = frozenset({"LONGDESC", "SCRIPT"})
FIRMWARE_KINDS = ("firmware", "logo", "other")


@dataclass(frozen=True)
class PhoneType:
    """One phone_types record, after @set/@unset were applied; option values are RAW text
    (late expansion of `{...}` happens only when a value is used)."""

    ident: str
    max_lines: int
    name: str
    options: dict[str, str]
    line: int  # where it was declared, for messages

    def custom_options(self) -> dict[str, str]:
        return {k: v for k, v in self.options.items() if k not in KNOWN_PHONE_OPTIONS}


@dataclass(frozen=True)
class FirmwareType:
    ident: str
    name: str
    kind: str  # one of FIRMWARE_KINDS
    options: dict[str, str]
    line: int

    @property
    def script(self) -> str:
        """The preprocessing script's base name: SCRIPT if given, the slot identifier otherwise."""
        return self.options.get("SCRIPT", self.ident)


@dataclass(frozen=True)
class ModuleInfo:
    """The `info` file."""

    id: str
    name: str
    version: str
    sequence: str = "5"  # a string: modules are ordered lexicographically
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # every other key, kept verbatim
    paths: tuple[str, ...] = ()  # path patterns the providers answer; () = every path
