"""SIP messages, as bytes: the NOTIFY we send and the responses a phone sends back.

Pure functions, no sockets.  The NOTIFY builder validates everything that ends up in a
header (event, arguments, user name come from phone_types and LAST_CONFIG, i.e. from an
untrusted module), so nothing can inject a header or break the start line.  The response
parser is strict and total: any bytes either give a `Response` or raise `SipParseError`
with a message naming what was wrong -- a phone (or anything else on the network) sending
garbage must never crash the host.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

MAX_DATAGRAM = 65535
SIP_VERSION = "SIP/2.0"
USER_AGENT = "provhost"
MAX_FORWARDS = 70
BRANCH_COOKIE = "z9hG4bK"  # RFC 3261 8.1.1.7: marks a branch made by an RFC 3261 client

# RFC 3261 25.1 token characters
_TOKEN = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")
# user part of a SIP URI: unreserved / escaped / user-unreserved (RFC 3261 25.1)
_USER_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()&=+$,;?/"
)
_QUOTED = re.compile(r'^"(?:[^"\\\x00-\x1f\x7f]|\\[\x20-\x7e])*"$')

# RFC 3261 7.3.3 compact header names, expanded on parsing
_COMPACT = {
    "v": "via", "i": "call-id", "f": "from", "t": "to", "l": "content-length",
    "m": "contact", "c": "content-type", "e": "content-encoding", "k": "supported",
    "s": "subject", "o": "event", "u": "allow-events",
}


class SipParseError(ValueError):
    """A datagram that is not a well-formed SIP response."""


def is_token(text: str) -> bool:
    return bool(_TOKEN.match(text))


def host_for_uri(ip: str) -> str:
    """An IP literal as it appears in a SIP URI or Via (IPv6 in brackets)."""
    addr = ipaddress.ip_address(ip)
    return f"[{addr}]" if addr.version == 6 else str(addr)


def escape_user(user: str) -> str:
    """The user part of a SIP URI: characters outside the allowed set are %-escaped."""
    if not user:
        raise ValueError("the SIP user name is empty")
    return "".join(
        c if c in _USER_SAFE else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
        for c in user
    )


def event_header(event: str, arg: str | None) -> str:
    """`check-sync` + `reboot=true` -> `check-sync;reboot=true`, refusing anything that is
    not an RFC 3261 token (event) or `;`-separated `name[=value]` parameters (arg)."""
    if not is_token(event):
        raise ValueError(f"SIPNOTIFY_event must be a SIP token (letters, digits, -.!%*_+`'~), "
                         f"got {event!r}")
    if arg is None or arg.strip() == "":
        return event
    params = []
    for raw in arg.strip().lstrip(";").split(";"):
        param = raw.strip()
        name, eq, value = param.partition("=")
        name, value = name.strip(), value.strip()
        if not is_token(name) or (eq and not (is_token(value) or _QUOTED.match(value))):
            raise ValueError(f"SIPNOTIFY_arg must be ';'-separated name=value parameters "
                             f"(token or quoted value), got {arg!r}")
        params.append(f"{name}={value}" if eq else name)
    return ";".join([event, *params])


@dataclass(frozen=True)
class NotifyRequest:
    """Everything that goes into one NOTIFY.  `render()` is deterministic: randomness
    (branch, tag, Call-ID) is chosen by the caller, so tests can pin it."""

    user: str
    phone_ip: str
    phone_port: int
    local_ip: str
    local_port: int
    event: str  # full Event header value, see event_header()
    call_id: str
    from_tag: str
    branch: str
    cseq: int = 1
    authorization: tuple[str, str] | None = None  # (header name, value)

    @property
    def request_uri(self) -> str:
        return f"sip:{escape_user(self.user)}@{host_for_uri(self.phone_ip)}:{self.phone_port}"

    def render(self) -> bytes:
        local = f"{host_for_uri(self.local_ip)}:{self.local_port}"
        uri = self.request_uri
        lines = [
            f"NOTIFY {uri} {SIP_VERSION}",
            f"Via: {SIP_VERSION}/UDP {local};branch={self.branch};rport",
            f"Max-Forwards: {MAX_FORWARDS}",
            f'From: "provhost" <sip:provhost@{local}>;tag={self.from_tag}',
            f"To: <{uri}>",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.cseq} NOTIFY",
            f"Contact: <sip:provhost@{local}>",
            f"Event: {self.event}",
            # RFC 6665 8.2.3: every NOTIFY carries one; an unsolicited one is "terminated"
            "Subscription-State: terminated",
            f"User-Agent: {USER_AGENT}",
        ]
        if self.authorization is not None:
            name, value = self.authorization
            lines.append(f"{name}: {value}")
        lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


@dataclass(frozen=True)
class Response:
    """A parsed SIP response.  Header names are kept lower-case, compact forms expanded,
    in arrival order; a header line holding several comma-separated values stays one item."""

    code: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    top_via_branch: str = ""
    cseq_number: int = 0
    cseq_method: str = ""
    call_id: str = ""

    def get_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name.lower()]

    def get(self, name: str) -> str | None:
        values = self.get_all(name)
        return values[0] if values else None


def _split_head(data: bytes) -> tuple[str, bytes]:
    if len(data) > MAX_DATAGRAM:
        raise SipParseError(f"message of {len(data)} bytes is larger than any UDP datagram")
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise SipParseError("no empty line (CRLF CRLF) ends the headers")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SipParseError(f"headers are not UTF-8 (byte {e.start})") from None
    if any(c in text for c in "\x00\x7f") or "\r" in text.replace("\r\n", ""):
        raise SipParseError("control characters (NUL, DEL or a bare CR) in the headers")
    return text, body


def _parse_status_line(line: str) -> tuple[int, str]:
    version, _, rest = line.partition(" ")
    if line.endswith(f" {SIP_VERSION}"):
        raise SipParseError(f"expected a response, got a request: {line[:80]!r}")
    if version != SIP_VERSION:
        raise SipParseError(f"start line is not 'SIP/2.0 CODE REASON': {line[:80]!r}")
    code_text, _, reason = rest.partition(" ")
    if len(code_text) != 3 or not code_text.isascii() or not code_text.isdigit():
        raise SipParseError(f"status code must be 3 digits, got {code_text[:20]!r}")
    code = int(code_text)
    if not 100 <= code <= 699:
        raise SipParseError(f"status code {code} is outside 100-699")
    if any(ord(c) < 0x20 and c != "\t" for c in reason):
        raise SipParseError("control characters in the reason phrase")
    return code, reason.strip()


def _parse_header_lines(lines: list[str]) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for line in lines:
        if line[:1] in (" ", "\t"):  # folded continuation (RFC 3261 7.3.1)
            if not headers:
                raise SipParseError("a continuation line comes before any header")
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        name = name.rstrip(" \t")
        if not colon or not is_token(name):
            raise SipParseError(f"malformed header line {line[:80]!r}")
        lname = name.lower()
        headers.append((_COMPACT.get(lname, lname), value.strip()))
    return headers


def _via_branch(via: str) -> str:
    first = split_commas(via)[0]
    for param in first.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "branch":
            return value.strip()
    return ""


def split_commas(value: str) -> list[str]:
    """Split a header value on commas outside quoted strings."""
    parts, current, quoted, escaped = [], [], False, False
    for c in value:
        if escaped:
            escaped = False
        elif c == "\\" and quoted:
            escaped = True
        elif c == '"':
            quoted = not quoted
        elif c == "," and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(c)
    parts.append("".join(current).strip())
    return parts


def _parse_cseq(value: str) -> tuple[int, str]:
    number, _, method = value.partition(" ")
    method = method.strip()
    if not number.isascii() or not number.isdigit() or len(number) > 10 or not is_token(method):
        raise SipParseError(f"CSeq must be 'NUMBER METHOD', got {value[:40]!r}")
    return int(number), method


def parse_response(data: bytes) -> Response:
    """Parse one UDP datagram as a SIP response, or raise SipParseError saying why not."""
    if not data:
        raise SipParseError("empty datagram")
    text, body = _split_head(data)
    lines = text.split("\r\n")
    code, reason = _parse_status_line(lines[0])
    headers = _parse_header_lines(lines[1:])
    found = {name for name, _ in headers}
    for required in ("via", "cseq", "call-id"):
        if required not in found:
            raise SipParseError(f"the response has no {required.title()} header")
    first = dict(reversed(headers))  # first occurrence of each name
    cseq_number, cseq_method = _parse_cseq(first["cseq"])
    length_text = first.get("content-length")
    if length_text is not None:
        if not length_text.isascii() or not length_text.isdigit() or len(length_text) > 6:
            raise SipParseError(f"Content-Length is not a number: {length_text[:20]!r}")
        length = int(length_text)
        if length > len(body):
            raise SipParseError(f"Content-Length {length} but only {len(body)} body bytes")
        body = body[:length]
    return Response(code=code, reason=reason, headers=tuple(headers), body=body,
                    top_via_branch=_via_branch(first["via"]), cseq_number=cseq_number,
                    cseq_method=cseq_method, call_id=first["call-id"])
