"""Every bundled module's boot sequences (modules/<id>/tests/*.json) pass `provhost module
test`, on both runtimes: one scratch server per module and runtime, the runner in-process.

Modules are discovered when the tests are collected, so a module added to modules/ is
picked up without editing this file."""

from __future__ import annotations

import pytest
from provhost.moduletest.runner import run_module_tests
from provhost.moduletest.sequence import TESTS_DIR, is_sequence_name

from ..conftest import BUNDLED


def _bundled() -> list[str]:
    return sorted(d.name for d in BUNDLED.iterdir() if d.is_dir() and (d / "info").is_file())


def _with_sequences() -> list[str]:
    return [n for n in _bundled() if any(
        is_sequence_name(f"{TESTS_DIR}/{p.name}") for p in (BUNDLED / n / TESTS_DIR).glob("*"))]


def test_every_bundled_module_ships_sequences() -> None:
    """Issue #16: every bundled module, old and new, ships its boot sequences."""
    assert [n for n in _bundled() if n not in _with_sequences()] == []


@pytest.mark.parametrize("runtime", ["native", "wasm"])
@pytest.mark.parametrize("module", _with_sequences())
async def test_module_sequences_pass(module: str, runtime: str) -> None:
    report = await run_module_tests(BUNDLED / module, [runtime])
    assert report.module_id is not None, report.render()
    assert report.ok, report.render()
    assert all(s.runtime == runtime for s in report.sequences)
