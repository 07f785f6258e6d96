"""Per-phone HTTP Digest authentication (RFC 7616), sans I/O.

Why: a phone's configuration holds its SIP passwords and is fetched by naming its MAC.  A
phone whose provisioning credentials are *required* must prove it knows them before a
module's answer for it is sent over HTTP(S).

Rules
-----
* Pure: no sockets, no clocks, no randomness, no logging.  The caller passes the secret
  key, the client address, `now` (wall-clock seconds: nonces outlive a restart, the key is
  kept on disk) and, for a challenge, a random salt.
* Stateless nonces, so an attacker has no server-side nonce table to grow:
  `nonce = base64url(issued || salt || tag)`, `issued` the whole seconds it was made
  (8 bytes, big-endian), `salt` 8 random bytes, `tag` the first 16 bytes of
  HMAC-SHA256(key, "provhost-nonce" | issued | salt | client address).  A nonce is ours
  only if its tag verifies, it is bound to the address it was issued to, and it is
  accepted for `lifetime` seconds (from at most `MAX_SKEW` in the future).
* Challenges: one `WWW-Authenticate: Digest` per algorithm, SHA-256 first (preferred),
  then MD5 for older phones, the same nonce in both, `qop="auth"`, and `stale=true` when
  the previous attempt had the right password and only the nonce had expired (or was
  replayed): the client retries without asking anyone for a password.
* Verification order: the header must be Digest with every parameter RFC 7616 requires
  for qop=auth (username, realm, nonce, uri, response, qop, nc, cnonce); the realm, the
  user name and the request target must be ours; the nonce's tag must verify; the
  response must match the password; only then do the nonce's age and reuse count, so
  `stale` never tells a guesser anything.
* Replays: `ReplayGuard` remembers (nonce, cnonce, nc) of *verified* requests only, for a
  nonce's lifetime and at most `max_entries` of them, so a client without the password
  cannot add to it.  A repeat is answered as stale: the real phone just retries.

Verdicts
--------
    OK       the request carries valid credentials for this phone
    MISSING  no Digest credentials at all: the normal first leg, answer with a challenge
    STALE    right password, expired or replayed nonce: challenge with stale=true
    REFUSED  anything else (wrong user or password, forged nonce, another address's
             nonce, malformed header); the reason is for the log, never for the client
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from provhost.sip.auth import AuthError, digest_response, parse_challenge

REALM = "provhost provisioning"
ALGORITHMS = ("SHA-256", "MD5")  # offered in this order (most preferred first)
NONCE_LIFETIME = 300  # seconds a nonce is accepted
MAX_SKEW = 30  # seconds a nonce's timestamp may lie in the future (clock steps)
SALT_SIZE = 8

_TAG_SIZE = 16
_NONCE_SIZE = 8 + SALT_SIZE + _TAG_SIZE
_HEX8 = frozenset("0123456789abcdefABCDEF")


class Verdict(StrEnum):
    OK = "ok"
    MISSING = "missing"
    STALE = "stale"
    REFUSED = "refused"


@dataclass(frozen=True)
class Check:
    verdict: Verdict
    reason: str = ""
    nonce: str = ""  # for the replay guard, when OK
    cnonce: str = ""
    nc: str = ""


def _tag(key: bytes, client: str, issued: int, salt: bytes) -> bytes:
    msg = b"provhost-nonce|" + struct.pack(">Q", issued) + b"|" + salt + b"|" + client.encode()
    return hmac.new(key, msg, hashlib.sha256).digest()[:_TAG_SIZE]


def make_nonce(key: bytes, client: str, now: float, salt: bytes) -> str:
    """A nonce for `client`, issued at `now`; `salt` is SALT_SIZE random bytes."""
    if len(salt) != SALT_SIZE:
        raise ValueError(f"nonce salt must be {SALT_SIZE} bytes, got {len(salt)}")
    issued = max(0, int(now))
    raw = struct.pack(">Q", issued) + salt + _tag(key, client, issued, salt)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def nonce_issued(key: bytes, client: str, nonce: str) -> int | None:
    """When we issued `nonce` to `client`, or None if we did not (forged, altered,
    another client's, or not a nonce at all)."""
    if len(nonce) > 64:
        return None
    try:
        raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _NONCE_SIZE:
        return None
    (issued,) = struct.unpack(">Q", raw[:8])
    salt, tag = raw[8:8 + SALT_SIZE], raw[8 + SALT_SIZE:]
    if not hmac.compare_digest(tag, _tag(key, client, issued, salt)):
        return None
    return int(issued)


def challenges(key: bytes, client: str, now: float, salt: bytes, *,
               stale: bool = False) -> list[str]:
    """The WWW-Authenticate values of a 401: one Digest challenge per algorithm."""
    nonce = make_nonce(key, client, now, salt)
    tail = ", stale=true" if stale else ""
    return [f'Digest realm="{REALM}", nonce="{nonce}", qop="auth", algorithm={alg}{tail}'
            for alg in ALGORITHMS]


def _target_path(uri: str) -> str:
    """The path a digest `uri` names: origin-form or absolute-form, query dropped."""
    return unquote(urlsplit(uri).path)


def verify(authorization: str | None, *, key: bytes, client: str, method: str, path: str,
           user: str, password: str, now: float, lifetime: float = NONCE_LIFETIME) -> Check:
    """Check a request's Authorization header against one phone's credentials.

    `path` is the request's path, percent-decoded (what the digest `uri` must name)."""
    if not authorization or not authorization.strip():
        return Check(Verdict.MISSING, "no credentials")
    scheme = authorization.strip().partition(" ")[0]
    if scheme.lower() != "digest":
        return Check(Verdict.MISSING, f"{scheme[:20]!r} credentials are not accepted, "
                                      "only Digest")
    try:
        p = parse_challenge(authorization).params
    except AuthError as e:
        return Check(Verdict.REFUSED, f"malformed Authorization header: {e}")
    missing = [n for n in ("username", "realm", "nonce", "uri", "response", "qop", "nc",
                           "cnonce") if not p.get(n)]
    if missing:
        return Check(Verdict.REFUSED, f"Digest credentials lack {', '.join(missing)}")
    if p["qop"].lower() != "auth":
        return Check(Verdict.REFUSED, f"qop={p['qop']!r}; only qop=auth is accepted")
    if len(p["nc"]) != 8 or not set(p["nc"]) <= _HEX8:
        return Check(Verdict.REFUSED, f"nc={p['nc'][:20]!r} is not 8 hex digits")
    if p.get("userhash", "false").lower() != "false":
        return Check(Verdict.REFUSED, "hashed user names (userhash) are not supported")
    algorithm = p.get("algorithm", "MD5").upper()
    if algorithm not in ALGORITHMS:
        return Check(Verdict.REFUSED, f"algorithm {p.get('algorithm')!r}; accepted: "
                                      f"{', '.join(ALGORITHMS)}")
    if p["realm"] != REALM:
        return Check(Verdict.REFUSED, f"realm {p['realm'][:60]!r} is not ours")
    if not hmac.compare_digest(p["username"].encode(), user.encode()):
        return Check(Verdict.REFUSED, f"user name {p['username'][:60]!r} is not this phone's")
    if _target_path(p["uri"]) != path:
        return Check(Verdict.REFUSED, f"uri {p['uri'][:80]!r} is not the requested path")
    issued = nonce_issued(key, client, p["nonce"])
    if issued is None:
        return Check(Verdict.REFUSED, "nonce not issued by this server to this address")
    expected = digest_response(username=user, password=password, realm=REALM, method=method,
                               uri=p["uri"], nonce=p["nonce"], algorithm=algorithm,
                               qop="auth", cnonce=p["cnonce"], nc=p["nc"])
    if not hmac.compare_digest(expected.encode(), p["response"].lower().encode()):
        return Check(Verdict.REFUSED, "wrong password (digest response does not match)")
    age = now - issued
    if age < -MAX_SKEW:
        return Check(Verdict.REFUSED, "nonce issued in the future")
    if age > lifetime:
        return Check(Verdict.STALE, f"nonce expired ({int(age)} s old, lifetime "
                                    f"{int(lifetime)} s)")
    return Check(Verdict.OK, "", p["nonce"], p["cnonce"], p["nc"].lower())


class ReplayGuard:
    """(nonce, cnonce, nc) of verified requests, for a nonce's lifetime: bounded memory.

    Only requests that passed `verify` are admitted, so a client without the password
    cannot fill it; past `max_entries`, the oldest entries are forgotten first."""

    def __init__(self, lifetime: float = NONCE_LIFETIME, max_entries: int = 8192) -> None:
        if max_entries < 1:
            raise ValueError("replay guard: max_entries must be >= 1")
        self.lifetime, self.max_entries = lifetime, max_entries
        self._seen: OrderedDict[tuple[str, str, str], float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def admit(self, check: Check, now: float) -> Check:
        """`check` unchanged if it is not a repeat (and remember it); STALE if it is."""
        if check.verdict is not Verdict.OK:
            return check
        while self._seen and next(iter(self._seen.values())) <= now - self.lifetime - MAX_SKEW:
            self._seen.popitem(last=False)
        entry = (check.nonce, check.cnonce, check.nc)
        if entry in self._seen:
            return Check(Verdict.STALE, "nonce, cnonce and nc already used (replay)")
        self._seen[entry] = now
        if len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return check
