"""What an FTP handler sees, and the callables the server is built from.

Replies are the TFTP reply types on purpose: one provisioning-chain adapter serves both
protocols.  Nothing in this file does I/O.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from provhost.tftp.types import BytesReply, ErrorReply, FileReply

Reply = BytesReply | FileReply | ErrorReply


@dataclass
class FtpRequest:
    """One RETR or SIZE: `path` is absolute (joined onto the session's cwd), never normalised."""

    path: str
    client: tuple[str, int]
    user: str  # the login name; "anonymous" for anonymous logins
    local_ip: str = ""  # the server address the control connection reached ($OPERATOR_IP)


Handler = Callable[[FtpRequest], Awaitable[Reply]]
Authenticator = Callable[[str, str, str], Awaitable[bool]]  # (user, password, client_ip)

__all__ = ["Authenticator", "BytesReply", "ErrorReply", "FileReply", "FtpRequest", "Handler", "Reply"]
