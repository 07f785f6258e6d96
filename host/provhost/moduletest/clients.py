"""Phone-like clients for the replay: real TFTP, HTTP(S) and FTP over loopback sockets, each
bound to the sequence's own source address (127.0.0.x) so the server sees one phone per
sequence, markers included.

TFTP is a small trio client over the host's own packet codec (RFC 1350, no options: the
plainest phone); HTTP and FTP use the standard library in a thread (blocking I/O), which
speaks the protocols on real sockets like any phone would.
"""

from __future__ import annotations

import ftplib
import http.client
import io
import secrets
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import trio

from provhost.sip.auth import AuthError, digest_authorization, parse_challenge
from provhost.tftp import packets as tp

TIMEOUT = 10.0  # seconds for one request, whatever the protocol
TFTP_RETRIES = 4
TFTP_BLOCK = 512


@dataclass(frozen=True)
class Reply:
    result: str  # served | not_found | upload_accepted | refused | error
    detail: str
    status: int | None = None
    body: bytes | None = None


@dataclass(frozen=True)
class Target:
    """Where the scratch server listens (always 127.0.0.1)."""

    host: str
    http: int
    tftp: int
    https: int | None = None
    ftp: int | None = None


# -- TFTP ----------------------------------------------------------------------------------
async def _tftp_exchange(sock: trio.socket.SocketType, datagram: bytes, to: tuple[str, int],
                         peer: tuple[str, int] | None,
                         wanted: Callable[[tp.Packet], bool] = lambda _: True,
                         ) -> tuple[tp.Packet, tuple[str, int]]:
    """Send, then wait for a `wanted` packet (or an error) from `peer` (any, before the
    server chose its TID); resend only on silence, as a phone does (never on a stray or
    duplicate datagram: both sides would retransmit, RFC 1350's Sorcerer's Apprentice)."""
    for _ in range(TFTP_RETRIES):
        await sock.sendto(datagram, to)
        with trio.move_on_after(TIMEOUT / TFTP_RETRIES):
            while True:
                data, sender = await sock.recvfrom(65536)
                if peer is not None and sender != peer:
                    continue  # another TID: not ours
                try:
                    packet = tp.decode(data)
                except tp.MalformedPacket:
                    continue
                if isinstance(packet, tp.Error) or wanted(packet):
                    return packet, sender
    raise TimeoutError("no answer from the TFTP server")


def _tftp_error(packet: tp.Error) -> Reply:
    detail = f"TFTP error {packet.code} ({packet.message})"
    if packet.code == tp.ErrorCode.FILE_NOT_FOUND:
        return Reply("not_found", detail, packet.code)
    if packet.code == tp.ErrorCode.ACCESS_VIOLATION:
        return Reply("refused", detail, packet.code)
    return Reply("error", detail, packet.code)


async def tftp_get(t: Target, source_ip: str, path: str) -> Reply:
    with trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        await sock.bind((source_ip, 0))
        datagram = tp.encode(tp.Request(tp.Opcode.RRQ, path, "octet"))
        tid: tuple[str, int] | None = None
        expected, body = 1, bytearray()
        while True:
            packet, tid = await _tftp_exchange(sock, datagram, tid or (t.host, t.tftp), tid)
            if isinstance(packet, tp.Error):
                return _tftp_error(packet)
            if not isinstance(packet, tp.Data):
                return Reply("error", f"unexpected TFTP packet {type(packet).__name__}")
            if packet.block == expected:
                body += packet.payload
                expected = (expected + 1) & 0xFFFF
            datagram = tp.encode(tp.Ack(packet.block))  # a duplicate is acknowledged again
            if packet.block == (expected - 1) & 0xFFFF and len(packet.payload) < TFTP_BLOCK:
                await sock.sendto(datagram, tid)
                return Reply("served", f"TFTP {len(body)} bytes", None, bytes(body))


async def tftp_put(t: Target, source_ip: str, path: str, data: bytes) -> Reply:
    with trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        await sock.bind((source_ip, 0))
        datagram = tp.encode(tp.Request(tp.Opcode.WRQ, path, "octet"))
        tid: tuple[str, int] | None = None
        block = 0  # the block whose acknowledgement we wait for
        while True:
            packet, tid = await _tftp_exchange(
                sock, datagram, tid or (t.host, t.tftp), tid,
                lambda p, n=block & 0xFFFF: isinstance(p, tp.Ack) and p.block == n)
            if isinstance(packet, tp.Error):
                return _tftp_error(packet)
            if block > 0 and len(data) - (block - 1) * TFTP_BLOCK < TFTP_BLOCK:
                return Reply("upload_accepted", f"TFTP upload of {len(data)} bytes acknowledged")
            chunk = data[block * TFTP_BLOCK:(block + 1) * TFTP_BLOCK]
            block += 1
            datagram = tp.encode(tp.Data(block & 0xFFFF, chunk))


# -- HTTP(S) -------------------------------------------------------------------------------
def _connect(t: Target, secure: bool, source_ip: str) -> http.client.HTTPConnection:
    if secure:
        if t.https is None:
            raise OSError("the scratch server has no HTTPS port")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the scratch server's own self-signed certificate
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            t.host, t.https, timeout=TIMEOUT, source_address=(source_ip, 0), context=ctx)
    else:
        conn = http.client.HTTPConnection(t.host, t.http, timeout=TIMEOUT,
                                          source_address=(source_ip, 0))
    return conn


def _exchange(t: Target, secure: bool, source_ip: str, method: str, path: str,
              headers: dict[str, str], body: bytes | None
              ) -> tuple[http.client.HTTPResponse, bytes]:
    conn = _connect(t, secure, source_ip)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp, resp.read()
    finally:
        conn.close()


def _digest(resp: http.client.HTTPResponse, credentials: tuple[str, str], method: str,
            path: str) -> str | None:
    """The Authorization answering the first Digest challenge we can compute (the server
    offers SHA-256 first), as a phone given these credentials would."""
    for value in resp.headers.get_all("WWW-Authenticate") or []:
        try:
            challenge = parse_challenge(value)
            if challenge.scheme == "digest":
                return digest_authorization(challenge, username=credentials[0],
                                            password=credentials[1], method=method, uri=path,
                                            cnonce=secrets.token_hex(8))
        except AuthError:
            continue
    return None


def _http_blocking(t: Target, secure: bool, source_ip: str, method: str, path: str,
                   user_agent: str, body: bytes | None,
                   credentials: tuple[str, str] | None) -> Reply:
    headers = {"User-Agent": user_agent} if user_agent else {}
    resp, data = _exchange(t, secure, source_ip, method, path, headers, body)
    if resp.status == 401 and credentials is not None:
        authorization = _digest(resp, credentials, method, path)
        if authorization is None:
            return Reply("error", "HTTP 401 without a Digest challenge we can answer", 401)
        headers["Authorization"] = authorization
        resp, data = _exchange(t, secure, source_ip, method, path, headers, body)
    status = resp.status
    detail = f"HTTP {status}"
    if status in (200, 206) and method == "GET":
        return Reply("served", detail, status, data)
    if 200 <= status < 300 and method != "GET":
        return Reply("upload_accepted", detail, status, data)
    if status == 404:
        return Reply("not_found", detail, status, data)
    if 400 <= status < 500:
        reason = data.decode("utf-8", "replace").strip()[:120]
        return Reply("refused", f"{detail}: {reason}" if reason else detail, status, data)
    return Reply("error", detail, status, data)


async def http_request(t: Target, secure: bool, source_ip: str, method: str, path: str,
                       user_agent: str = "", body: bytes | None = None,
                       credentials: tuple[str, str] | None = None) -> Reply:
    """One HTTP(S) request; with `credentials` (user, password), a 401 Digest challenge is
    answered once, as a phone that was given them does."""
    return await trio.to_thread.run_sync(_http_blocking, t, secure, source_ip, method, path,
                                         user_agent, body, credentials)


# -- FTP -----------------------------------------------------------------------------------
def _ftp_blocking(t: Target, source_ip: str, path: str) -> Reply:
    if t.ftp is None:
        return Reply("error", "the scratch server has no FTP port")
    ftp = ftplib.FTP(timeout=TIMEOUT, source_address=(source_ip, 0))
    out = io.BytesIO()
    try:
        ftp.connect(t.host, t.ftp)
        ftp.login()
        ftp.retrbinary(f"RETR {path}", out.write)
    except ftplib.error_perm as e:
        text = str(e)
        code = int(text[:3]) if text[:3].isdigit() else None
        result = "not_found" if code == 550 and "not found" in text.lower() else "refused"
        return Reply(result, f"FTP {text}", code)
    except ftplib.Error as e:
        return Reply("error", f"FTP {e}")
    finally:
        ftp.close()
    return Reply("served", f"FTP {out.tell()} bytes", 226, out.getvalue())


async def ftp_get(t: Target, source_ip: str, path: str) -> Reply:
    return await trio.to_thread.run_sync(_ftp_blocking, t, source_ip, path)
