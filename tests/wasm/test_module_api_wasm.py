"""The module-API tests of tests/runtime, unchanged, through the WASM runtime.

The `runtime` fixture of tests/wasm/conftest.py (a WasmRuntime) replaces the native one.
"""

from tests.runtime.test_module_api import *  # noqa: F403
