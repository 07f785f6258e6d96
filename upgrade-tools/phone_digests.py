"""Print {mac: digest} of every file each phone would fetch now, as JSON on stdout.

Used by pre-upgrade.d/50-record-phone-configs (with the old release's python: the old
modules) and post-upgrade.d/50-resync-changed-phones (the new release's: the new modules).
It only uses provhost APIs that every release since 0.1 has, because it runs under both.
One engine for all phones: starting one costs about a second, a phone's replay little.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

from provhost.chain.provisioner import Provisioner
from provhost.paths import Paths
from provhost.review import ReviewError, review_phone
from provhost.server.oneshot import _run, one_off_engine
from provhost.service import Service


async def digests(svc: Service) -> dict[str, str]:
    out: dict[str, str] = {}
    if not svc.store.list_phones():
        return out  # no phone: no engine to start
    async with one_off_engine(svc) as engine:
        lifetime = float(engine.state.snapshot().settings["MARKER_LIFETIME"])
        prov = Provisioner(engine, marker_lifetime=lifetime)
        for phone in svc.store.list_phones():
            h = hashlib.sha256()
            try:
                files = await review_phone(prov, phone.mac)
            except ReviewError as e:
                h.update(f"unreviewable: {e}".encode())
                files = []
            for f in files:
                h.update(f"{f.entry.proto}:{f.entry.path}\0{f.status}\0{f.module}\0".encode())
                h.update(hashlib.sha256(f.data or b"").digest())
            out[phone.mac] = h.hexdigest()
    return out


def main() -> int:
    svc = Service(Paths.from_env(os.environ["PROVHOST_DATA"]))
    try:
        json.dump(_run(digests, svc), sys.stdout, sort_keys=True)
    finally:
        svc.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
