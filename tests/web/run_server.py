"""A real provhost server in its own process for the browser tests: sandboxes are spawned
from the main thread (bubblewrap's --die-with-parent needs it), which the Playwright test
thread cannot offer.  Prints the bound ports as one JSON line, then serves until killed.

    python -m tests.web.run_server DATA_DIR
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from pathlib import Path

import trio
from provhost.paths import SOURCE_ROOT, Paths
from provhost.server.main import ServerConfig, serve_all
from provhost.service import Service


async def main(data_dir: str) -> None:
    paths = Paths(data_dir=Path(data_dir), bundled_dir=SOURCE_ROOT / "modules")
    svc = Service(paths)
    cfg = ServerConfig(listen="127.0.0.1", http_port=0, tftp_port=0, api_port=0,
                       ftp_port=None, http_read_timeout=5.0, resync_interval=1.0)
    async with trio.open_nursery() as nursery:
        ports = await nursery.start(serve_all, svc, cfg)
        print(json.dumps(dataclasses.asdict(ports)), flush=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    trio.run(main, sys.argv[1])
