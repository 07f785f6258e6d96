"""Fixtures for runtime tests: module images on disk, a real sandboxed runtime, a recording broker."""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from provhost.runtime.interface import BrokerError, ModuleImage, ScriptCall, ScriptKind
from provhost.runtime.native import NativeConfig, NativeRuntime


@dataclass
class RecordingBroker:
    """A test Broker: records every call and answers from `answers` (callable or value)."""

    answers: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[str, list[Any]]] = field(default_factory=list)

    async def call(self, function: str, args: list[Any]) -> Any:
        self.calls.append((function, args))
        answer = self.answers.get(function)
        if callable(answer):
            return await answer(*args)
        if isinstance(answer, BrokerError):
            raise answer
        return answer


@dataclass
class ModuleDir:
    """A module image under construction: write files, then hand `image` to a runtime."""

    root: Path
    module_id: str = "testmod"

    def __post_init__(self) -> None:
        for d in (self.files, self.compiled / "templates", self.firmware):
            d.mkdir(parents=True, exist_ok=True)

    @property
    def files(self) -> Path:
        return self.root / "files"

    @property
    def compiled(self) -> Path:
        return self.root / "compiled"

    @property
    def firmware(self) -> Path:
        return self.root / "firmware"

    def write(self, relpath: str, text: str) -> None:
        path = self.files / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))

    def script(self, relpath: str, body: str) -> str:
        """Write a PHP script (the body without <?php); returns the relative path."""
        self.write(relpath, "<?php\n" + textwrap.dedent(body).strip("\n") + "\n")
        return relpath

    def template(self, name: str, php: str) -> None:
        """A compiled template, as the host's compiler would write it (lines kept 1:1)."""
        (self.compiled / "templates" / f"{name}.php").write_text(textwrap.dedent(php).lstrip("\n"))

    @property
    def image(self) -> ModuleImage:
        return ModuleImage(self.module_id, "1.0", self.files, self.compiled, self.firmware)


@pytest.fixture
def module(tmp_path: Path) -> ModuleDir:
    os.chmod(tmp_path, 0o755)
    return ModuleDir(tmp_path / "mod")


@pytest.fixture
async def runtime():
    async with NativeRuntime(NativeConfig(workers_per_pool=1)) as rt:
        yield rt


def provider(script: str, **variables: Any) -> ScriptCall:
    return ScriptCall(ScriptKind.PROVIDER, script, variables, timeout=10.0)
