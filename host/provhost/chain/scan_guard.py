"""MAC-scan detection, sans I/O: per client address, count what a scanner does, throttle it.

Why: a phone's configuration holds its SIP passwords and is fetched by naming its MAC, so
anyone who can guess MACs can walk an OUI's address space.  A phone asks for its own few
files; a scanner asks for many different MACs we do not know, and collects many 404s.

Rules
-----
* Pure: no sockets, no clocks, no logging.  The caller passes `now` (seconds, monotonic)
  and the client address, asks `decide` before running the chain and calls `record`
  after it.  `record` returns an `Offence` exactly when a throttle starts; its
  `log_line` is the one line to log (fail2ban matches it, see docs/security.md).
* Per address, over a sliding `window`: the *distinct* MACs named by requests for phones
  we did not know (see `unknown_mac`), and the number of not-found answers.  Reaching
  `max_unknown_macs` or `max_not_found` is an offence: the address is throttled for
  `cooldown` seconds, doubled for each further offence (capped at `max_cooldown`); an
  address with no offence for `forget_after` seconds starts again at `cooldown`.
* A throttled address's requests are refused without reaching the chain and are not
  recorded; its counters start from zero when the throttle ends.
* Bounded memory, whatever the traffic: at most `max_tracked` addresses are watched
  (least recently seen evicted first), each holding at most `max_unknown_macs` MACs and
  `max_not_found` timestamps; at most `max_penalised` addresses keep a throttle or an
  offence history, the oldest offence evicted first -- so a flood of new (forged) source
  addresses costs a bounded table and cannot push a throttled scanner out of it unless
  that many other addresses offend after it.
* Exempt networks (CIDRs, for the administrator's own hosts) are never counted or
  throttled.  IPv4-mapped IPv6 addresses count as their IPv4 address.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from provhost.mac import MacError, normalize_mac

# a run of exactly 12 hex digits: longer runs (content ids, hashes) are not MACs
_MAC_RUN = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{12}(?![0-9a-fA-F])")
NOT_FOUND = "notfound"  # the Answer.status that counts as a 404


@dataclass(frozen=True)
class ScanPolicy:
    """Thresholds; the defaults leave a building of phones booting together untouched."""

    window: float = 60.0
    max_unknown_macs: int = 20
    max_not_found: int = 50
    cooldown: float = 300.0
    max_cooldown: float = 3600.0
    forget_after: float = 86400.0
    max_tracked: int = 4096
    max_penalised: int = 4096
    exempt: tuple[str, ...] = ()  # CIDRs, e.g. ("10.0.0.0/24", "2001:db8:1::/48")

    def __post_init__(self) -> None:
        for name in ("window", "cooldown", "max_cooldown", "forget_after"):
            if not getattr(self, name) > 0:
                raise ValueError(f"scan guard: {name} must be > 0, got {getattr(self, name)}")
        for name in ("max_unknown_macs", "max_not_found", "max_tracked", "max_penalised"):
            if getattr(self, name) < 1:
                raise ValueError(f"scan guard: {name} must be >= 1, got {getattr(self, name)}")
        if self.max_cooldown < self.cooldown:
            raise ValueError(f"scan guard: max_cooldown {self.max_cooldown} is below "
                             f"cooldown {self.cooldown}")
        _networks(self.exempt)  # refuse a bad CIDR when the policy is made


@dataclass(frozen=True)
class Allow:
    pass


@dataclass(frozen=True)
class Throttle:
    retry_after: int  # whole seconds, >= 1: what HTTP's Retry-After carries


@dataclass(frozen=True)
class Offence:
    """A throttle just started: what the log line reports."""

    ip: str
    unknown_macs: int
    not_found: int
    window: float
    cooldown: float
    offences: int  # 1 for a first offence (within forget_after)

    @property
    def log_line(self) -> str:
        # fixed format: the fail2ban filter in docs/security.md matches its start
        return (f"provhost: mac-scan suspected from {self.ip}: {self.unknown_macs} unknown "
                f"MACs, {self.not_found} not-found in {self.window:g}s; "
                f"throttled for {self.cooldown:g}s")


@dataclass
class _Watch:
    """One address's sliding window: MAC -> last seen (oldest first), 404 times."""

    macs: OrderedDict[str, float] = field(default_factory=OrderedDict)
    not_found: deque[float] = field(default_factory=deque)

    def prune(self, horizon: float) -> None:
        while self.macs and next(iter(self.macs.values())) <= horizon:
            self.macs.popitem(last=False)
        while self.not_found and self.not_found[0] <= horizon:
            self.not_found.popleft()


@dataclass
class _Penalty:
    until: float
    offences: int
    last: float  # time of the latest offence


def mac_in_path(path: str) -> str | None:
    """The first MAC a request path names (normalised), or None.

    A run of exactly 12 hex digits is a MAC unless it cannot be a phone's: all zeros or
    all ones, or the OUI 00:00:00, which phones use for model-wide files (Polycom
    000000000000.cfg, Yealink y000000000028.cfg)."""
    for run in _MAC_RUN.findall(path):
        try:
            mac = normalize_mac(run)
        except MacError:
            continue
        if not mac.startswith("000000"):
            return mac
    return None


def unknown_mac(path: str, *, status: str, phone: str | None,
                phone_created: bool = False) -> str | None:
    """The MAC this request named for a phone we did not know before it, else None.

    Unknown means: the chain answered not-found, or no phone was associated, or the
    association created the phone just now (modules create phones on first contact, so
    a scanner's guesses would otherwise all look known)."""
    mac = mac_in_path(path)
    if mac is None:
        return None
    if status == NOT_FOUND or phone is None or phone_created:
        return mac
    return None


def _networks(cidrs: Iterable[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    out = []
    for cidr in cidrs:
        try:
            out.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as e:
            raise ValueError(f"scan guard: exempt entry {cidr!r} is not a network: {e}") from None
    return tuple(out)


@functools.lru_cache(maxsize=4096)  # bounded, like the rest; parsing was a per-request cost
def _canonical(ip: str) -> tuple[str, ipaddress.IPv4Address | ipaddress.IPv6Address | None]:
    """One key per host: '::ffff:192.0.2.7' and '192.0.2.7' are the same client."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip, None  # not an address (e.g. a unix socket peer): keyed as given
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return str(addr), addr


class ScanGuard:
    """The detector's state (see the module rules).  Not thread-safe; trio needs none."""

    def __init__(self, policy: ScanPolicy | None = None) -> None:
        self.policy = policy or ScanPolicy()
        self._exempt = _networks(self.policy.exempt)
        self._watch: OrderedDict[str, _Watch] = OrderedDict()  # least recently seen first
        self._penalty: OrderedDict[str, _Penalty] = OrderedDict()  # oldest offence first

    def is_exempt(self, ip: str) -> bool:
        _, addr = _canonical(ip)
        return addr is not None and any(addr in net for net in self._exempt)

    def decide(self, ip: str, now: float) -> Allow | Throttle:
        """May this address's request reach the chain now?"""
        key, addr = _canonical(ip)
        if addr is not None and any(addr in net for net in self._exempt):
            return Allow()
        penalty = self._penalty.get(key)
        if penalty is not None and now < penalty.until:
            return Throttle(max(1, math.ceil(penalty.until - now)))
        return Allow()

    def record(self, ip: str, now: float, outcome: str,
               mac_seen: str | None) -> Offence | None:
        """Count one finished request.  `outcome` is the chain's Answer.status
        ("notfound" counts as a 404); `mac_seen` is `unknown_mac(...)` for it."""
        key, addr = _canonical(ip)
        if addr is not None and any(addr in net for net in self._exempt):
            return None
        if outcome != NOT_FOUND and mac_seen is None:
            if key in self._watch:
                self._watch.move_to_end(key)
            return None  # nothing suspicious: create no state for it
        penalty = self._penalty.get(key)
        if penalty is not None and now < penalty.until:
            return None  # a request admitted before the throttle began, finishing late
        watch = self._watch_for(key)
        watch.prune(now - self.policy.window)
        if mac_seen is not None:
            watch.macs.pop(mac_seen, None)
            watch.macs[mac_seen] = now
        if outcome == NOT_FOUND:
            watch.not_found.append(now)
        if (len(watch.macs) >= self.policy.max_unknown_macs
                or len(watch.not_found) >= self.policy.max_not_found):
            return self._offend(key, now, watch)
        return None

    def throttled(self, now: float) -> list[tuple[str, int, int]]:
        """Addresses throttled now: (address, whole seconds left, offences), for display."""
        return [(key, max(1, math.ceil(p.until - now)), p.offences)
                for key, p in self._penalty.items() if now < p.until]

    def footprint(self) -> int:
        """Entries held (addresses, MACs, timestamps): what the memory bound is about."""
        return (len(self._watch) + len(self._penalty)
                + sum(len(w.macs) + len(w.not_found) for w in self._watch.values()))

    def max_footprint(self) -> int:
        """The most `footprint()` can ever be under this policy."""
        p = self.policy
        return p.max_tracked * (1 + p.max_unknown_macs + p.max_not_found) + p.max_penalised

    def _watch_for(self, key: str) -> _Watch:
        watch = self._watch.get(key)
        if watch is None:
            watch = self._watch[key] = _Watch()
            if len(self._watch) > self.policy.max_tracked:
                self._watch.popitem(last=False)
        else:
            self._watch.move_to_end(key)
        return watch

    def _offend(self, key: str, now: float, watch: _Watch) -> Offence:
        p = self.policy
        previous = self._penalty.pop(key, None)
        offences = 1
        if previous is not None and now - previous.last < p.forget_after:
            offences = previous.offences + 1
        cooldown = min(p.cooldown * 2.0 ** min(offences - 1, 64), p.max_cooldown)
        self._penalty[key] = _Penalty(until=now + cooldown, offences=offences, last=now)
        if len(self._penalty) > p.max_penalised:
            self._penalty.popitem(last=False)
        del self._watch[key]  # counting starts afresh after the throttle
        return Offence(key, len(watch.macs), len(watch.not_found), p.window, cooldown,
                       offences)
