"""Read-only FTP server for phones: a pure control-session state machine and a trio shell."""

from .protocol import FtpSession
from .server import serve_ftp
from .types import Authenticator, BytesReply, ErrorReply, FileReply, FtpRequest, Handler, Reply

__all__ = [
    "Authenticator",
    "BytesReply",
    "ErrorReply",
    "FileReply",
    "FtpRequest",
    "FtpSession",
    "Handler",
    "Reply",
    "serve_ftp",
]
