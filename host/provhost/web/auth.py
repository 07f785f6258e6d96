"""The administrator's password and browser sessions.

Why each choice:
* The password is created on first start like the API token: random, written once (O_EXCL,
  0600) to `web-admin-password` in the data directory so the administrator can read it.
  What the server checks against is only a salted scrypt hash (`web-admin.scrypt`); when
  the administrator changes the password the plain-text file is deleted, and from then on
  nothing but the hash is kept.
* Sessions live in memory (a restart logs everyone out), are identified by 256 random
  bits in an HttpOnly, SameSite=Strict cookie, and expire after `IDLE_TIMEOUT` seconds
  without a request.  Each holds its own CSRF token, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from provhost.privatefile import create_private

INITIAL_PASSWORD_FILE = "web-admin-password"
HASH_FILE = "web-admin.scrypt"
MIN_PASSWORD_LENGTH = 10
IDLE_TIMEOUT = 1800.0  # seconds
MAX_SESSIONS = 256  # the oldest is dropped beyond this: memory stays bounded

# scrypt cost: 16 MiB and ~50 ms per check on a small server; slow for a guesser
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str, *, salt: bytes | None = None,
                  n: int = _N, r: int = _R, p: int = _P) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p,
                            maxmem=128 * r * n * 2, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.strip().split("$")
        if scheme != "scrypt":
            return False
        again = hash_password(password, salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(again.rsplit("$", 1)[1], digest)


class AdminPassword:
    """The one administrator login of the web administration."""

    def __init__(self, data_dir: Path) -> None:
        self.initial_file = data_dir / INITIAL_PASSWORD_FILE
        self.hash_file = data_dir / HASH_FILE

    def ensure(self) -> None:
        """First start: make a password and its hash (a restart keeps both)."""
        if self.hash_file.is_file():
            return
        create_private(self.initial_file, (secrets.token_urlsafe(12) + "\n").encode())
        password = self.initial_file.read_text().strip()
        self._store_hash(hash_password(password))

    def _store_hash(self, hashed: str) -> None:
        tmp = self.hash_file.with_name(self.hash_file.name + f".{secrets.token_hex(4)}")
        create_private(tmp, (hashed + "\n").encode())
        tmp.replace(self.hash_file)  # atomic: a check never reads half a hash

    def check(self, password: str) -> bool:
        """Slow on purpose (scrypt): call it from a thread."""
        try:
            stored = self.hash_file.read_text()
        except OSError:
            return False
        return check_password(password, stored)

    def change(self, new: str) -> None:
        if len(new) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"the new password must have at least {MIN_PASSWORD_LENGTH} "
                             "characters")
        self._store_hash(hash_password(new))
        self.initial_file.unlink(missing_ok=True)

    @property
    def is_initial(self) -> bool:
        """Still the generated password (its plain text is on disk): nag to change it."""
        return self.initial_file.is_file()


@dataclass
class Session:
    sid: str
    csrf: str
    last_seen: float
    flashes: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) to show once

    def flash(self, kind: str, text: str) -> None:
        self.flashes.append((kind, text))
        del self.flashes[:-10]

    def take_flashes(self) -> list[tuple[str, str]]:
        out, self.flashes = self.flashes, []
        return out


class Sessions:
    """Logged-in browsers.  `now` is passed in (monotonic seconds) so tests can age them."""

    def __init__(self, idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.idle_timeout = idle_timeout
        self._by_id: dict[str, Session] = {}

    def create(self, now: float) -> Session:
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now)
        self._by_id[session.sid] = session
        while len(self._by_id) > MAX_SESSIONS:
            self._by_id.pop(next(iter(self._by_id)))
        return session

    def get(self, sid: str | None, now: float) -> Session | None:
        if not sid:
            return None
        session = self._by_id.get(sid)
        if session is None:
            return None
        if now - session.last_seen > self.idle_timeout:
            del self._by_id[sid]
            return None
        session.last_seen = now
        return session

    def drop(self, sid: str) -> None:
        self._by_id.pop(sid, None)

    def drop_all(self) -> None:
        """After a password change every other browser must log in again."""
        self._by_id.clear()


def csrf_ok(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf.encode(),
                                                   (presented or "").encode())
