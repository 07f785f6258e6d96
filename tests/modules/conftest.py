"""Fixtures for the bundled-module tests: the real server, engine and sandboxes."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from provhost.chain.answer import Answer
from provhost.chain.provisioner import Provisioner, ProvisioningRequest
from provhost.engine import Engine
from provhost.paths import Paths
from provhost.runtime.native import NativeConfig, NativeRuntime
from provhost.service import Service

from ..conftest import BUNDLED
from ..serving.conftest import Running, curl, server, tftp_get  # noqa: F401  (fixture)

__all__ = ["BUNDLED", "Bmp", "Chain", "Running", "curl", "png_size", "tftp_get", "write_ppm"]


@dataclass
class Chain:
    """One engine and provisioner over a data directory: requests as a phone makes them."""

    svc: Service
    engine: Engine
    prov: Provisioner

    async def get(self, path: str, ip: str = "192.0.2.10", proto: str = "tftp") -> Answer:
        answer, _ = await self.prov.provision(ProvisioningRequest(proto, path, ip))
        return answer


async def open_chain(paths: Paths) -> AsyncIterator[Chain]:
    svc = Service(paths)
    svc.store.add_user("alice", "Alice Example")
    async with NativeRuntime(NativeConfig(workers_per_pool=1)) as runtime:
        engine = Engine(svc.state, runtime)
        try:
            await engine.refresh()
            yield Chain(svc, engine, Provisioner(engine))
        finally:
            await engine.aclose()


@pytest.fixture
async def chain(paths: Paths) -> AsyncIterator[Chain]:
    async for c in open_chain(paths):
        yield c


@dataclass
class Bmp:
    """The fields of a Windows BMP header a phone checks, and pixel access."""

    data: bytes

    @property
    def width(self) -> int:
        return struct.unpack_from("<i", self.data, 18)[0]

    @property
    def height(self) -> int:
        return struct.unpack_from("<i", self.data, 22)[0]

    @property
    def bpp(self) -> int:
        return struct.unpack_from("<H", self.data, 28)[0]

    @property
    def compression(self) -> int:
        return struct.unpack_from("<I", self.data, 30)[0]

    def rgb(self, x: int, y: int) -> tuple[int, int, int]:
        """The colour at (x, y), y counted from the top (rows are stored bottom-up)."""
        offset = struct.unpack_from("<I", self.data, 10)[0]
        header_size = struct.unpack_from("<I", self.data, 14)[0]
        row = ((self.width * self.bpp + 31) // 32) * 4
        start = offset + (self.height - 1 - y) * row
        if self.bpp == 24:
            b, g, r = self.data[start + 3 * x:start + 3 * x + 3]
            return r, g, b
        assert self.bpp == 1
        index = (self.data[start + x // 8] >> (7 - x % 8)) & 1
        b, g, r = self.data[14 + header_size + 4 * index:14 + header_size + 4 * index + 3]
        return r, g, b


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack_from(">II", data, 16)


def write_ppm(path: Path, width: int, height: int,
              colour_at: Callable[[int, int], tuple[int, int, int]]) -> Path:
    """A binary PPM whose pixel (x, y) is colour_at(x, y) -> (r, g, b)."""
    pixels = bytearray()
    for y in range(height):
        for x in range(width):
            pixels += bytes(colour_at(x, y))
    path.write_bytes(b"P6\n%d %d\n255\n" % (width, height) + bytes(pixels))
    return path
