"""Answering a phone's 401/407 challenge: HTTP Digest (RFC 2617, RFC 7616) and Basic.

SIPNOTIFY_auth decides what we answer with:
  none   -- nothing: a challenge means the phone refuses unauthenticated resyncs;
  digest -- a Digest challenge, with Digest credentials;
  basic  -- a Basic challenge, with Basic credentials (RFC 3261 forbids Basic, but some
            phones ask for it and the contract allows it);
  auto   -- whichever scheme the phone asks for (Digest preferred when it offers both).
Pure functions: the caller supplies the cnonce, so the result is reproducible.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from enum import StrEnum

from provhost.sip.message import Response, is_token, split_commas


class AuthMode(StrEnum):
    NONE = "none"
    DIGEST = "digest"
    BASIC = "basic"
    AUTO = "auto"


class AuthError(ValueError):
    """A challenge we cannot (or may not) answer; the message says why, for the admin."""


# RFC 7616 3.2 algorithms; a -sess one hashes the nonce and cnonce into HA1
_HASHES = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-case: "digest", "basic", ...
    params: dict[str, str]  # lower-case names, unquoted values


def parse_challenge(value: str) -> Challenge:
    """`Digest realm="x", nonce="y", qop="auth"` -> Challenge.  Strict: raises AuthError."""
    scheme, _, rest = value.strip().partition(" ")
    if not is_token(scheme):
        raise AuthError(f"challenge does not start with a scheme name: {value[:60]!r}")
    params: dict[str, str] = {}
    for item in split_commas(rest):
        if not item:
            continue
        name, eq, raw = item.partition("=")
        name, raw = name.strip().lower(), raw.strip()
        if not eq or not is_token(name):
            raise AuthError(f"malformed parameter {item[:40]!r} in the {scheme} challenge")
        if raw.startswith('"'):
            if len(raw) < 2 or not raw.endswith('"'):
                raise AuthError(f"unterminated quoted value for {name} in the challenge")
            inner, out, escaped = raw[1:-1], [], False
            for c in inner:
                if escaped or c != "\\":
                    out.append(c)
                    escaped = False
                else:
                    escaped = True
            raw = "".join(out)
        elif not is_token(raw):
            raise AuthError(f"malformed value for {name} in the challenge: {raw[:40]!r}")
        params[name] = raw
    return Challenge(scheme.lower(), params)


def _hash(algorithm: str, text: str) -> str:
    return hashlib.new(_HASHES[algorithm], text.encode("utf-8")).hexdigest()


def digest_response(*, username: str, password: str, realm: str, method: str, uri: str,
                    nonce: str, algorithm: str = "MD5", qop: str | None = None,
                    cnonce: str = "", nc: str = "00000001", body: bytes = b"") -> str:
    """The `response=` value of RFC 7616 3.4.1 (RFC 2617 3.2.2 when qop is None)."""
    base = algorithm.upper().removesuffix("-SESS")
    if base not in _HASHES:
        raise AuthError(f"unsupported digest algorithm {algorithm!r}")
    ha1 = _hash(base, f"{username}:{realm}:{password}")
    if algorithm.upper().endswith("-SESS"):
        ha1 = _hash(base, f"{ha1}:{nonce}:{cnonce}")
    a2 = f"{method}:{uri}"
    if qop == "auth-int":
        a2 += ":" + hashlib.new(_HASHES[base], body).hexdigest()
    ha2 = _hash(base, a2)
    if qop is None:
        return _hash(base, f"{ha1}:{nonce}:{ha2}")
    return _hash(base, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def digest_authorization(challenge: Challenge, *, username: str, password: str, method: str,
                         uri: str, cnonce: str, nc: int = 1) -> str:
    """The Authorization header value answering a Digest challenge."""
    p = challenge.params
    if "realm" not in p or "nonce" not in p:
        raise AuthError("the Digest challenge lacks a realm or a nonce")
    algorithm = p.get("algorithm", "MD5")
    if algorithm.upper().removesuffix("-SESS") not in _HASHES:
        raise AuthError(f"the phone asks for digest algorithm {algorithm!r}; "
                        f"supported: MD5, SHA-256, SHA-512-256 (and -sess)")
    offered = [q.strip().lower() for q in p["qop"].split(",")] if "qop" in p else []
    qop = "auth" if "auth" in offered else "auth-int" if "auth-int" in offered else None
    if offered and qop is None:
        raise AuthError(f"the phone offers only qop={p['qop']!r}; supported: auth, auth-int")
    if qop is None and algorithm.upper().endswith("-SESS"):
        raise AuthError(f"{algorithm} needs a qop (for the cnonce), the challenge has none")
    ncs = f"{nc:08x}"
    response = digest_response(username=username, password=password, realm=p["realm"],
                               method=method, uri=uri, nonce=p["nonce"], algorithm=algorithm,
                               qop=qop, cnonce=cnonce, nc=ncs)
    parts = [f"username={_quote(username)}", f"realm={_quote(p['realm'])}",
             f"nonce={_quote(p['nonce'])}", f"uri={_quote(uri)}",
             f"response={_quote(response)}", f"algorithm={algorithm}"]
    if qop is not None:
        parts += [f"qop={qop}", f"nc={ncs}", f"cnonce={_quote(cnonce)}"]
    if "opaque" in p:
        parts.append(f"opaque={_quote(p['opaque'])}")
    return "Digest " + ", ".join(parts)


def basic_authorization(username: str, password: str) -> str:
    if ":" in username:
        raise AuthError("a Basic user name cannot contain ':'")
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def answer_challenge(response: Response, mode: AuthMode, *, username: str,
                     password: str | None, method: str, uri: str, cnonce: str
                     ) -> tuple[str, str]:
    """(header name, value) answering a 401 or 407, or AuthError saying why we won't."""
    if response.code == 401:
        asked, answer = "www-authenticate", "Authorization"
    elif response.code == 407:
        asked, answer = "proxy-authenticate", "Proxy-Authorization"
    else:
        raise AuthError(f"{response.code} is not a challenge")
    if mode is AuthMode.NONE:
        raise AuthError("the phone asks for authentication, but SIPNOTIFY_auth is 'none'")
    if password is None:
        raise AuthError("the phone asks for authentication, but no SIP password is known "
                        "for its first line (LAST_CONFIG)")
    challenges: list[Challenge] = []
    problems: list[str] = []
    for value in response.get_all(asked):
        try:
            challenges.append(parse_challenge(value))
        except AuthError as e:
            problems.append(str(e))
    by_scheme = {c.scheme: c for c in reversed(challenges)}  # first of each scheme
    wanted = {AuthMode.DIGEST: ["digest"], AuthMode.BASIC: ["basic"],
              AuthMode.AUTO: ["digest", "basic"]}[mode]
    for scheme in wanted:
        if scheme in by_scheme:
            if scheme == "basic":
                return answer, basic_authorization(username, password)
            return answer, digest_authorization(by_scheme[scheme], username=username,
                                                password=password, method=method, uri=uri,
                                                cnonce=cnonce)
    if not challenges:
        why = f" ({problems[0]})" if problems else ""
        raise AuthError(f"the {response.code} has no usable {asked.title()} header{why}")
    schemes = ", ".join(sorted(by_scheme))
    raise AuthError(f"the phone asks for {schemes} authentication, but SIPNOTIFY_auth is "
                    f"'{mode}'")
