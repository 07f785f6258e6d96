"""One real provhost server (its own process) and one headless Debian Chromium for all the
web administration tests of a module: starting either costs seconds."""

from __future__ import annotations

import json
import select
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from provhost.paths import SOURCE_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).parent / "screenshots"
START_TIMEOUT = 120.0  # seconds until the server prints its ports (a loaded machine is slow)


@dataclass
class ServerProcess:
    data_dir: Path
    log_file: Path
    ports: dict[str, int]
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    def phone_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.ports['http']}{path}"

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    base = tmp_path_factory.mktemp("web")
    base.chmod(0o755)  # firmware sandboxes (user nobody) bind files from the data dir
    SCREENSHOTS.mkdir(exist_ok=True)
    data, log_file = base / "data", SCREENSHOTS / "server.log"  # kept beside the screenshots
    with open(log_file, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "tests.web.run_server", str(data)],
                                cwd=SOURCE_ROOT, stdout=subprocess.PIPE, stderr=log,
                                stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
        line = proc.stdout.readline() if ready else b""
        if not line:
            raise RuntimeError(f"the server did not start:\n{log_file.read_text()[-3000:]}")
        yield ServerProcess(data, log_file, json.loads(line), proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
