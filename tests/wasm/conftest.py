"""Fixtures for the WASM runtime: php.wasm built once per session, a wasm runtime fixture.

The `runtime` fixture here overrides tests/runtime's, so the module-API tests imported into
test_module_api_wasm.py run unchanged against WasmRuntime.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from provhost.runtime.wasm import WasmConfig, WasmRuntime
from provhost_sandbox.wasm_sandbox import PHP_WASM

from tests.runtime.conftest import ModuleDir, RecordingBroker, module, provider

__all__ = ["ModuleDir", "RecordingBroker", "module", "provider"]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def php_wasm() -> Path:
    """Build (or find cached) php.wasm; a cached build returns in well under a second."""
    proc = subprocess.run(["bash", str(REPO / "sandbox" / "wasm" / "build.sh")],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"php.wasm build failed:\n{proc.stderr[-4000:]}"
    assert PHP_WASM.is_file()
    return PHP_WASM


@pytest.fixture(params=[1, 50], ids=["fresh", "reuse"])
async def runtime(request: pytest.FixtureRequest):
    """A fresh instance per request, and one instance reused with PHP request cycles."""
    async with WasmRuntime(WasmConfig(workers_per_pool=1, reuse_instance=request.param)) as rt:
        yield rt
