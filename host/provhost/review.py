"""Download configuration (the seed's REVIEW): every file a phone would fetch, as a zip.

The phone type's REVIEW option lists, in the order the phone asks, `[?][!]proto:/path`
entries (`{...}` expanded by the module's sandbox, like every option).  They are replayed
through the real chain, one after the other, from one made-up client address, so markers
behave exactly as for the phone; the replay records nothing (no last-seen address, no
$LAST_CONFIG).  `?` files may be missing, `!` files are requested but not expected to
exist; a missing file without either prefix is an error naming it.  `module compat` uses
the same replay on a scratch data directory, once per runtime.
"""

from __future__ import annotations

import contextlib
import io
import random
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from provhost.chain.answer import answer_reason, served_bytes
from provhost.chain.provisioner import Provisioner, ProvisioningRequest
from provhost.engine import Engine
from provhost.resync.runner import expand_type_options

PROTOCOLS = ("tftp", "http", "https", "ftp")


class ReviewError(Exception):
    """The configuration cannot be put together; the message names the cause."""


@dataclass(frozen=True)
class ReviewEntry:
    proto: str
    path: str
    optional: bool  # "?": may be missing
    not_expected: bool  # "!": requested for its effect (markers), not expected to exist

    @property
    def text(self) -> str:
        return f"{'?' if self.optional else ''}{'!' if self.not_expected else ''}" \
               f"{self.proto}:{self.path}"


@dataclass
class ReviewedFile:
    entry: ReviewEntry
    status: str  # the chain's answer: served, notfound, ...
    data: bytes | None  # what the phone gets, when served
    module: str | None
    archive_name: str | None = None  # its name in the zip


def parse_review(text: str) -> list[ReviewEntry]:
    """Pure: the entries of an expanded REVIEW value, or ReviewError naming the bad one."""
    entries = []
    for raw in text.split():
        rest, optional, not_expected = raw, False, False
        if rest.startswith("?"):
            optional, rest = True, rest[1:]
        if rest.startswith("!"):
            not_expected, rest = True, rest[1:]
        proto, sep, path = rest.partition(":")
        if not sep or proto not in PROTOCOLS or not path.startswith("/"):
            raise ReviewError(f"REVIEW entry {raw!r}: expected [?][!]proto:/path with proto "
                              f"one of {', '.join(PROTOCOLS)}")
        entries.append(ReviewEntry(proto, path, optional, not_expected))
    return entries


REVIEW_ADDRESSES = tuple(f"198.51.100.{n}" for n in range(1, 255))


@contextlib.contextmanager
def made_up_address(prov: Provisioner) -> Iterator[str]:
    """A client address no phone has (TEST-NET-2, RFC 5737): never contacted, only a key
    for markers.  Each replay holds its own address, free of markers, until it ends, and
    leaves none behind: a replay sees only the markers its own entries set (a random pick
    from 254 addresses used to collide within one `module compat` run, so one type's
    replay read the markers another type's replay had set)."""
    free = [a for a in REVIEW_ADDRESSES if a not in prov.review_clients]
    if not free:
        raise ReviewError(f"more than {len(REVIEW_ADDRESSES)} configuration reviews at "
                          "once; try again")
    client = random.choice(free)
    prov.review_clients.add(client)
    prov.markers.clear(client)
    try:
        yield client
    finally:
        prov.markers.clear(client)
        prov.review_clients.discard(client)


async def review_entries(engine: Engine, mac: str) -> list[ReviewEntry]:
    phone = engine.state.store.get_phone(mac)
    if phone is None:
        raise ReviewError(f"no phone with MAC {mac}")
    am = engine.get(phone.module_id)
    if am is None:
        raise ReviewError(f"module {phone.module_id} is not active")
    ptype = am.entry.module.phone_type(phone.phone_type)
    if ptype is None:
        raise ReviewError(f"module {am.id} has no phone type {phone.phone_type!r}")
    try:
        options = await expand_type_options(am, ptype, mac)
    except ValueError as e:
        raise ReviewError(str(e)) from None
    if not options.get("REVIEW", "").strip():
        raise ReviewError(f"phone type {ptype.ident} of module {am.id} has no REVIEW list")
    return parse_review(options["REVIEW"])


async def review_phone(prov: Provisioner, mac: str) -> list[ReviewedFile]:
    """Replay the phone's REVIEW list; ReviewError names a required file that is missing.
    The replay reaches the server address the phone last reached ($OPERATOR_IP)."""
    phone = prov.state.store.get_phone(mac)
    server_ip = phone.last_server_ip if phone is not None else ""
    return await replay(prov, await review_entries(prov.engine, mac), server_ip=server_ip)


async def replay(prov: Provisioner, entries: list[ReviewEntry], *, required: bool = True,
                 server_ip: str = "") -> list[ReviewedFile]:
    """Ask the chain for each entry in order, from one made-up address (so markers carry
    over), recording nothing.  With `required`, a missing entry without `?` or `!` is a
    ReviewError naming it; without, every answer is just reported."""
    files = []
    with made_up_address(prov) as client:
        for entry in entries:
            req = ProvisioningRequest(proto=entry.proto, path=entry.path, client_ip=client,
                                      review=True, server_ip=server_ip)
            answer, _trace = await prov.provision(req)
            data = served_bytes(answer)
            reason = answer_reason(answer)
            if data is None and required and not (entry.optional or entry.not_expected):
                raise ReviewError(f"{entry.text}: the chain answered {answer.status}"
                                  f"{' (' + reason + ')' if reason else ''}; "
                                  f"run `provhost request {entry.path} --proto "
                                  f"{entry.proto}` to see why")
            files.append(ReviewedFile(entry, answer.status, data, answer.module))
    _name_files(files)
    return files


def _name_files(files: list[ReviewedFile]) -> None:
    """Archive names: the path without its leading slash; the protocol in front when two
    protocols serve the same path."""
    paths = [f.entry.path for f in files if f.data is not None]
    for f in files:
        if f.data is None:
            continue
        name = f.entry.path.lstrip("/")
        f.archive_name = f"{f.entry.proto}/{name}" if paths.count(f.entry.path) > 1 else name


def build_zip(files: list[ReviewedFile]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        seen = set()
        for f in files:
            if f.data is None or f.archive_name is None or f.archive_name in seen:
                continue
            seen.add(f.archive_name)
            zf.writestr(f.archive_name, f.data)
    return buf.getvalue()
