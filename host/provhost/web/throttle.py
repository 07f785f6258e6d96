"""Login throttling, sans I/O: per client address, too many wrong passwords in a window
lock that address out for a while.  The caller passes `now` (monotonic seconds).

Each lockout yields exactly one log line, in the same shape as the scan guard's so one
fail2ban filter style serves both (docs/security.md):
    provhost: web login failures from 192.0.2.7: 5 wrong passwords in 300s; throttled for 300s
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    window: float = 300.0
    lockout: float = 300.0
    max_tracked: int = 4096  # addresses remembered; the least recently seen go first


@dataclass
class _Record:
    failures: deque[float] = field(default_factory=deque)
    until: float = 0.0


class LoginThrottle:
    def __init__(self, policy: LoginPolicy | None = None) -> None:
        self.policy = policy or LoginPolicy()
        self._by_ip: OrderedDict[str, _Record] = OrderedDict()

    def retry_after(self, ip: str, now: float) -> int:
        """0 when the address may try a password now, else whole seconds to wait."""
        rec = self._by_ip.get(ip)
        if rec is None or now >= rec.until:
            return 0
        return max(1, math.ceil(rec.until - now))

    def failed(self, ip: str, now: float) -> str | None:
        """Count a wrong password; the log line when this failure starts a lockout."""
        rec = self._by_ip.pop(ip, None) or _Record()
        self._by_ip[ip] = rec
        while len(self._by_ip) > self.policy.max_tracked:
            self._by_ip.popitem(last=False)
        while rec.failures and rec.failures[0] <= now - self.policy.window:
            rec.failures.popleft()
        rec.failures.append(now)
        if len(rec.failures) < self.policy.max_failures:
            return None
        count = len(rec.failures)
        rec.failures.clear()
        rec.until = now + self.policy.lockout
        return (f"provhost: web login failures from {ip}: {count} wrong passwords in "
                f"{self.policy.window:g}s; throttled for {self.policy.lockout:g}s")

    def succeeded(self, ip: str) -> None:
        self._by_ip.pop(ip, None)
