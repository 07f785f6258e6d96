"""Request traces: what happened to one request, step by step, so an administrator can
answer "why did this phone get a 404" with one command."""

from __future__ import annotations

import collections
import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ModuleStep:
    module: str
    script: str
    decision: str  # pass, template, file, notfound, ok, error
    elapsed_ms: float
    detail: str = ""  # error reason, template name, file, PHP warnings


@dataclass
class Trace:
    client: str
    proto: str
    path: str
    method: str = "GET"
    user_agent: str = ""
    started: float = field(default_factory=time.time)
    steps: list[ModuleStep] = field(default_factory=list)
    markers_read: dict[str, str] = field(default_factory=dict)
    markers_set: dict[str, str] = field(default_factory=dict)
    phone: str | None = None  # MAC associated
    phone_type: str | None = None
    phone_created: bool = False  # associatePhone created the phone (a guessed MAC looks so)
    status: str = "pending"  # served, notfound, rejected, error, busy, stored, refused
    answered_by: str | None = None
    bytes_sent: int = 0
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def render(self) -> str:
        """A person-readable account, one line per step."""
        out = [f"{self.proto.upper()} {self.method} {self.path} from {self.client}"
               + (f"  [User-Agent: {self.user_agent}]" if self.user_agent else "")]
        if self.note:
            out.append(f"  note: {self.note}")
        if self.markers_read:
            out.append("  markers read: " + ", ".join(f"{k}={v}" for k, v in self.markers_read.items()))
        if not self.steps and self.status != "rejected":
            out.append("  no enabled module to ask")
        for s in self.steps:
            line = f"  {s.module:<16} {s.script:<28} -> {s.decision:<9} {s.elapsed_ms:7.2f} ms"
            out.append(line + (f"  {s.detail}" if s.detail else ""))
        if self.markers_set:
            out.append("  markers set: " + ", ".join(f"{k}={v}" for k, v in self.markers_set.items()))
        if self.phone:
            out.append(f"  phone: {self.phone} ({self.phone_type})")
        result = f"  result: {self.status}"
        if self.answered_by:
            result += f" by {self.answered_by}"
        out.append(result + f", {self.bytes_sent} bytes")
        return "\n".join(out)


class TraceLog:
    """The most recent traces, bounded."""

    def __init__(self, size: int = 500) -> None:
        self._ring: collections.deque[Trace] = collections.deque(maxlen=size)

    def add(self, trace: Trace) -> None:
        self._ring.append(trace)

    def recent(self, limit: int = 50) -> list[Trace]:
        return list(self._ring)[-limit:][::-1]
