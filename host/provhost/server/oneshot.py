"""Run the chain for one request without any network: `provhost request PATH`.

This is the module author's "test your change" loop and the administrator's "why did this
phone get a 404": the same engine and sandboxes as the server, one request, its trace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import trio

from provhost import firmware
from provhost.chain.answer import Answer
from provhost.chain.provisioner import Provisioner, ProvisioningRequest
from provhost.chain.trace import Trace
from provhost.engine import Engine
from provhost.firmware import UploadResult
from provhost.resync.runner import ResyncResult, resync_phone
from provhost.review import ReviewedFile, review_phone
from provhost.runtime.native import NativeRuntime
from provhost.service import Service
from provhost.tracking import stale_phones


async def run_requests(svc: Service, requests: list[ProvisioningRequest]
                       ) -> list[tuple[Answer, Trace, bytes]]:
    """Answer each request in order through one engine (so markers carry over)."""
    results = []
    async with NativeRuntime() as runtime:
        engine = Engine(svc, runtime)
        try:
            await engine.refresh()
            prov = Provisioner(engine, marker_lifetime=float(svc.setting_get("MARKER_LIFETIME")))
            for req in requests:
                answer, trace = await prov.provision(req)
                if answer.body is not None:
                    body = answer.body
                elif answer.file is not None:
                    body = answer.file.read_bytes()
                else:
                    body = b""
                results.append((answer, trace, body))
        finally:
            await engine.aclose()
    return results


def firmware_upload_once(svc: Service, module_id: str, slot: str, source: Path,
                         verify: bool) -> UploadResult:
    async def run() -> UploadResult:
        async with NativeRuntime() as runtime:
            engine = Engine(svc, runtime)
            try:
                await engine.refresh()
                return await firmware.upload(engine, module_id, slot, source, source.name,
                                             verify=verify)
            finally:
                await engine.aclose()

    return trio.run(run)


def review_once(svc: Service, mac: str) -> list[ReviewedFile]:
    """The phone's configuration files, replayed through a one-off engine."""

    async def run() -> list[ReviewedFile]:
        async with NativeRuntime() as runtime:
            engine = Engine(svc, runtime)
            try:
                await engine.refresh()
                prov = Provisioner(engine,
                                   marker_lifetime=float(svc.setting_get("MARKER_LIFETIME")))
                return await review_phone(prov, mac)
            finally:
                await engine.aclose()

    return trio.run(run)


def stale_once(svc: Service) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        async with NativeRuntime() as runtime:
            engine = Engine(svc, runtime)
            try:
                await engine.refresh()
                return await stale_phones(engine)
            finally:
                await engine.aclose()

    return trio.run(run)


def resync_once(svc: Service, mac: str) -> ResyncResult:
    async def run() -> ResyncResult:
        async with NativeRuntime() as runtime:
            engine = Engine(svc, runtime)
            try:
                await engine.refresh()
                return await resync_phone(engine, mac)
            finally:
                await engine.aclose()

    return trio.run(run)


def request_once(svc: Service, path: str, *, proto: str, ip: str, user_agent: str = ""
                 ) -> tuple[Answer, Trace, bytes]:
    headers = {"user-agent": user_agent} if user_agent else {}
    req = ProvisioningRequest(proto=proto, path=path, client_ip=ip, headers=headers)
    return trio.run(run_requests, svc, [req])[0]
