"""Run host operations once, without the server: `provhost request PATH`, `phone config`,
`phone stale`, `phone reload`, `firmware upload`.

This is the module author's "test your change" loop and the administrator's "why did this
phone get a 404": the same engine, runtimes and sandboxes as the server, for one command.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import trio

from provhost import firmware
from provhost.chain.answer import Answer, served_bytes
from provhost.chain.provisioner import Provisioner, ProvisioningRequest
from provhost.chain.trace import Trace
from provhost.engine import Engine
from provhost.firmware import UploadResult
from provhost.fwpackages.install import InstallOptions, InstallResult, install_package
from provhost.resync.runner import ResyncResult, resync_phone
from provhost.review import ReviewedFile, review_phone
from provhost.runtime.select import open_runtimes
from provhost.service import Service
from provhost.tracking import stale_phones

T = TypeVar("T")


@contextlib.asynccontextmanager
async def one_off_engine(svc: Service) -> AsyncIterator[Engine]:
    """An engine with every module's pool, closed (workers gone) when the block ends."""
    async with open_runtimes() as runtimes:
        engine = Engine(svc.state, runtimes=runtimes)
        try:
            await engine.refresh()
            yield engine
        finally:
            await engine.aclose()


def _run(async_fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """trio.run, but an error raised inside the engine comes out as itself, not wrapped in
    the exception groups of the runtimes' nurseries (the CLI prints it as one line)."""
    try:
        return trio.run(async_fn, *args)
    except BaseExceptionGroup as group:
        leaf: BaseException = group
        while isinstance(leaf, BaseExceptionGroup) and len(leaf.exceptions) == 1:
            leaf = leaf.exceptions[0]
        if leaf is group:
            raise
        raise leaf from None


def _provisioner(engine: Engine) -> Provisioner:
    lifetime = float(engine.state.snapshot().settings["MARKER_LIFETIME"])
    return Provisioner(engine, marker_lifetime=lifetime)


async def run_requests(svc: Service, requests: list[ProvisioningRequest]
                       ) -> list[tuple[Answer, Trace, bytes]]:
    """Answer each request in order through one engine (so markers carry over)."""
    results = []
    async with one_off_engine(svc) as engine:
        prov = _provisioner(engine)
        for req in requests:
            answer, trace = await prov.provision(req)
            results.append((answer, trace, served_bytes(answer) or b""))
    return results


def firmware_upload_once(svc: Service, module_id: str, slot: str, source: Path,
                         verify: bool) -> UploadResult:
    async def run() -> UploadResult:
        async with one_off_engine(svc) as engine:
            return await firmware.upload(engine, module_id, slot, source, source.name,
                                         verify=verify)

    return _run(run)


def package_install_once(svc: Service, module_id: str, package_id: str,
                         opts: InstallOptions) -> InstallResult:
    async def run() -> InstallResult:
        async with one_off_engine(svc) as engine:
            return await install_package(engine, module_id, package_id, opts)

    return _run(run)


def review_once(svc: Service, mac: str) -> list[ReviewedFile]:
    """The phone's configuration files, replayed through a one-off engine."""

    async def run() -> list[ReviewedFile]:
        async with one_off_engine(svc) as engine:
            return await review_phone(_provisioner(engine), mac)

    return _run(run)


def stale_once(svc: Service) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        async with one_off_engine(svc) as engine:
            return await stale_phones(engine)

    return _run(run)


def resync_once(svc: Service, mac: str) -> ResyncResult:
    async def run() -> ResyncResult:
        async with one_off_engine(svc) as engine:
            return await resync_phone(engine, mac)

    return _run(run)


def request_once(svc: Service, path: str, *, proto: str, ip: str, user_agent: str = ""
                 ) -> tuple[Answer, Trace, bytes]:
    headers = {"user-agent": user_agent} if user_agent else {}
    req = ProvisioningRequest(proto=proto, path=path, client_ip=ip, headers=headers)
    return _run(run_requests, svc, [req])[0]
