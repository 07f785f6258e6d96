"""TFTP server for provhost: a pure codec and per-transfer state machines, and a trio shell."""

from .server import serve_tftp
from .types import BytesReply, ErrorReply, FileReply, Reply, TftpConfig, TftpRequest

__all__ = [
    "BytesReply",
    "ErrorReply",
    "FileReply",
    "Reply",
    "TftpConfig",
    "TftpRequest",
    "serve_tftp",
]
