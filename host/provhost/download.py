"""Bounded, verified fetching of one firmware file from a URL, a mirror or a local file.

Every vendor server, mirror and redirect is treated as hostile: the size is enforced while
reading (a file that grows past its declared size is cut off), every step has a timeout,
redirects are followed only to http(s) and at most `max_redirects` times, the bytes land
only in a `.part` file inside the download directory (removed on any failure), and the
SHA-256 is computed on the way.  The caller decides what a hash mismatch means.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import trio

CHUNK = 64 * 1024


class DownloadError(Exception):
    """One source did not deliver the file; the message is the reason, for one log line."""


@dataclass(frozen=True)
class DownloadLimits:
    connect_timeout: float = 10.0
    idle_timeout: float = 30.0  # no byte for this long: the server is hanging
    total_timeout: float = 900.0  # the whole file, redirects included
    max_redirects: int = 5


@dataclass(frozen=True)
class Fetched:
    """A file that arrived whole: where it is, its size and SHA-256."""

    path: Path
    size: int
    sha256: str


def is_url(text: str) -> bool:
    """An http(s) location (otherwise: a local path)."""
    return text.lower().startswith(("http://", "https://"))


def check_http_url(url: str) -> str:
    """The URL if it is http(s) with a host; DownloadError otherwise (no file:, ftp:, ...)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise DownloadError(f"refused: {url!r} is not an http(s) URL")
    return url


def next_location(current: str, location: str | None) -> str:
    """Where a redirect points, resolved against the current URL and checked."""
    if not location:
        raise DownloadError("redirect without a Location header")
    return check_http_url(urljoin(current, location))


def _part_path(download_dir: Path) -> Path:
    download_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return download_dir / f"{secrets.token_hex(8)}.part"


async def fetch_url(url: str, download_dir: Path, *, size: int | None, max_size: int,
                    limits: DownloadLimits | None = None) -> Fetched:
    """Download `url` into a new file in `download_dir`, at most `size` (or `max_size`) bytes."""
    limits = limits or DownloadLimits()
    bound = size if size is not None else max_size
    part = _part_path(download_dir)
    timeout = httpx.Timeout(limits.idle_timeout, connect=limits.connect_timeout)
    try:
        with trio.fail_after(limits.total_timeout):
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                         trust_env=False) as client:
                target = check_http_url(url)
                for _ in range(limits.max_redirects + 1):
                    async with client.stream("GET", target) as resp:
                        if resp.is_redirect:
                            target = next_location(target, resp.headers.get("location"))
                            continue
                        if resp.status_code != 200:
                            raise DownloadError(f"HTTP {resp.status_code}")
                        declared = resp.headers.get("content-length")
                        if declared and declared.isdigit() and int(declared) > bound:
                            raise DownloadError(f"the server announces {declared} bytes, "
                                                f"expected {'exactly' if size else 'at most'} "
                                                f"{bound}")
                        return await _receive(resp, part, size, bound)
                raise DownloadError(f"more than {limits.max_redirects} redirects")
    except trio.TooSlowError:
        part.unlink(missing_ok=True)
        raise DownloadError(f"not complete within {limits.total_timeout:.0f} s") from None
    except httpx.TimeoutException:
        part.unlink(missing_ok=True)
        raise DownloadError(f"the server sent nothing for {limits.idle_timeout:.0f} s "
                            "(timeout)") from None
    except httpx.HTTPError as e:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{type(e).__name__}: {e}") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise


async def _receive(resp: httpx.Response, part: Path, size: int | None, bound: int) -> Fetched:
    digest = hashlib.sha256()
    received = 0
    async with await trio.open_file(part, "wb") as out:
        async for chunk in resp.aiter_bytes(CHUNK):
            received += len(chunk)
            if received > bound:
                raise DownloadError(f"the file grew past {bound} bytes "
                                    f"({'its declared size' if size else 'the size limit'})")
            digest.update(chunk)
            await out.write(chunk)
    if size is not None and received != size:
        raise DownloadError(f"short download: {received} of {size} bytes")
    return Fetched(part, received, digest.hexdigest())


def _copy_bounded(source: Path, part: Path, size: int | None, bound: int) -> Fetched:
    digest = hashlib.sha256()
    received = 0
    with source.open("rb") as src, part.open("wb") as out:
        while chunk := src.read(CHUNK):
            received += len(chunk)
            if received > bound:
                raise DownloadError(f"the file is larger than {bound} bytes")
            digest.update(chunk)
            out.write(chunk)
    if size is not None and received != size:
        raise DownloadError(f"{received} bytes, expected {size}")
    return Fetched(part, received, digest.hexdigest())


async def fetch_file(source: Path, download_dir: Path, *, size: int | None,
                     max_size: int) -> Fetched:
    """Copy a local file (an administrator's `--from`, a mirror directory) the same way."""
    if not source.is_file():
        raise DownloadError(f"{source}: no such file")
    part = _part_path(download_dir)
    bound = size if size is not None else max_size
    try:
        return await trio.to_thread.run_sync(_copy_bounded, source, part, size, bound)
    except OSError as e:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{source}: {e.strerror or e}") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
