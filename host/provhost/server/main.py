"""`provhost serve`: the runtime, the engine and every server, owned by one trio nursery.

Defaults are unprivileged (HTTP 8080, TFTP 6969, API 8081 on loopback); docs/operations.md
says how to serve phones on 69 and 80.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as _hypercorn_serve

from provhost.chain.provisioner import Provisioner
from provhost.chain.shared_markers import SharedMarkerTable
from provhost.engine import Engine
from provhost.ftp.server import serve_ftp
from provhost.runtime.interface import Runtime
from provhost.runtime.select import open_runtimes
from provhost.server.api_app import ApiApp, load_or_create_token
from provhost.server.file_adapter import chain_handler, ftp_authenticator, upload_handler
from provhost.server.http_app import ProvisioningApp
from provhost.server.management import management_app
from provhost.server.processes import child_argv, child_spec, supervise
from provhost.server.registry_watcher import RegistryWatcher
from provhost.server.resync_watcher import ResyncWatcher
from provhost.service import Service
from provhost.tftp.server import serve_tftp
from provhost.web.app import WebApp

log = logging.getLogger("provhost.server")


@dataclass
class BoundPorts:
    """What the servers actually listen on (a configured port 0 picks a free one)."""

    http: int
    tftp: int
    api: int = 0
    https: int | None = None
    ftp: int | None = None


def _port_of(binds: list[str]) -> int:
    return int(binds[0].rsplit(":", 1)[1])


@dataclass
class ServerConfig:
    listen: str = "0.0.0.0"
    http_port: int = 8080
    tftp_port: int = 6969
    api_listen: str = "127.0.0.1"
    api_port: int = 8081
    ftp_port: int | None = 2121  # None: no FTP server
    https_port: int | None = None
    certfile: str | None = None
    keyfile: str | None = None
    http_read_timeout: float = 10.0  # drop a client that stops sending (slowloris)
    resync_interval: float = 5.0  # how often to look for changes made by other processes
    drain_timeout: float = 10.0  # on SIGTERM: stop accepting, finish transfers this long
    # --processes N (server/processes.py): sockets the supervisor bound, and whether this
    # process leads (API, FTP, HTTPS, resync watcher); "" = the only process
    http_fd: int | None = None
    tftp_fd: int | None = None
    leader: bool = True
    process: str = ""
    registry_interval: float = 0.5  # how soon a module change made elsewhere is applied
    api_https: bool = False  # management listener (API + web administration) over HTTPS


def hypercorn_config(host: str, port: int, *, certfile: str | None = None,
                     keyfile: str | None = None, read_timeout: float = 10.0) -> HypercornConfig:
    config = HypercornConfig()
    config.bind = [f"{host}:{port}"]
    config.keep_alive_max_requests = 100_000  # phones and benchmarks keep connections open
    config.read_timeout = read_timeout  # a client that stops sending (slowloris) is dropped
    config.accesslog = None
    config.errorlog = logging.getLogger("provhost.hypercorn")
    config.backlog = 1024
    if certfile:
        config.certfile, config.keyfile = certfile, keyfile
    return config


RuntimeOpener = Callable[[], AbstractAsyncContextManager[dict[str, Runtime]]]


async def serve_all(svc: Service, cfg: ServerConfig, *,
                    runtime_opener: RuntimeOpener = open_runtimes,
                    shutdown: trio.Event | None = None,
                    task_status: trio.TaskStatus[BoundPorts] = trio.TASK_STATUS_IGNORED) -> None:
    """Every server of `provhost serve`.  `runtimes` opens the sandboxes the modules run in
    (the product's own by default; benchmarks pass their own to measure a baseline).
    When `shutdown` is set, the HTTP(S) and API servers stop accepting and finish what is in
    flight (up to `cfg.drain_timeout`), then everything stops: the drain of an upgrade."""
    async def hypercorn_serve(app: object, config: HypercornConfig, *,
                              task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED
                              ) -> None:
        config.graceful_timeout = cfg.drain_timeout
        done = trio.Event()
        http_done.append(done)
        try:
            await _hypercorn_serve(app, config, task_status=task_status,  # type: ignore[arg-type]
                                   shutdown_trigger=shutdown.wait if shutdown is not None else None)
        finally:
            done.set()

    async def drain(cancel: trio.CancelScope) -> None:
        assert shutdown is not None
        await shutdown.wait()
        log.info("draining: no new HTTP connections; finishing transfers (up to %.0f s)",
                 cfg.drain_timeout)
        with trio.move_on_after(cfg.drain_timeout):
            for done in http_done:
                await done.wait()
            await trio.sleep(min(1.0, cfg.drain_timeout))  # a TFTP block in flight
        cancel.cancel()

    http_done: list[trio.Event] = []
    async with runtime_opener() as runtimes:
        engine = Engine(svc.state, runtimes=runtimes)
        await engine.refresh()
        marker_lifetime = float(svc.setting_get("MARKER_LIFETIME"))
        prov = Provisioner(engine, marker_lifetime=marker_lifetime)
        # a shared database: every node sees markers (PROVHOST_SHARED_MARKERS=0: the load
        # balancer keeps each phone's address on one node, so each node's own suffice)
        if (hasattr(svc.store, "set_marker")
                and os.environ.get("PROVHOST_SHARED_MARKERS", "1") != "0"):
            prov.markers = SharedMarkerTable(marker_lifetime, svc.store)  # type: ignore[assignment]
        try:
            async with trio.open_nursery() as nursery:
                http = ProvisioningApp(prov, proto="http")
                http_cfg = hypercorn_config(cfg.listen, cfg.http_port,
                                            read_timeout=cfg.http_read_timeout)
                if cfg.http_fd is not None:
                    http_cfg.bind = [f"fd://{cfg.http_fd}"]
                http_binds = await nursery.start(hypercorn_serve, http, http_cfg)
                ports = BoundPorts(http=_port_of(http_binds), tftp=0)
                if cfg.https_port is not None and cfg.certfile and cfg.leader:
                    https = ProvisioningApp(prov, proto="https")
                    https_binds = await nursery.start(hypercorn_serve, https, hypercorn_config(
                        cfg.listen, cfg.https_port, certfile=cfg.certfile, keyfile=cfg.keyfile))
                    ports.https = _port_of(https_binds)
                watcher = ResyncWatcher(engine, interval=cfg.resync_interval)
                api = ApiApp(svc, engine, prov, load_or_create_token(svc.paths.data_dir),
                             on_change=watcher.poke)
                if cfg.leader:  # the management listener: the leader's alone
                    web = WebApp(svc, engine, prov, on_change=watcher.poke)  # beside the API
                    await nursery.start(web.run)
                    tls = ({"certfile": cfg.certfile, "keyfile": cfg.keyfile}
                           if cfg.api_https else {})
                    api_binds = await nursery.start(hypercorn_serve, management_app(api, web),
                                                    hypercorn_config(cfg.api_listen, cfg.api_port,
                                                                     **tls))
                    ports.api = _port_of(api_binds)
                ports.tftp = await nursery.start(partial(
                    serve_tftp, chain_handler(prov, "tftp"), host=cfg.listen, port=cfg.tftp_port,
                    upload_handler=upload_handler(prov),
                    max_upload=max(int(svc.setting_get("UPLOAD_MAX_SIZE")), 0),
                    **({} if cfg.tftp_fd is None else {"sock": socket.socket(fileno=cfg.tftp_fd)})))
                if cfg.ftp_port is not None and cfg.leader:
                    ports.ftp = await nursery.start(partial(
                        serve_ftp, chain_handler(prov, "ftp"), authenticate=ftp_authenticator(svc.state),
                        host=cfg.listen, port=cfg.ftp_port,
                        allow_anonymous=svc.setting_get("FTP_ANONYMOUS") == "1"))
                modules = ", ".join(a.id for a in engine.chain()) or "none"
                if cfg.leader:
                    log.info("provhost serving on %s: HTTP %d, TFTP %d, FTP %s; API %s:%d; "
                             "modules: %s", cfg.listen, ports.http, ports.tftp, ports.ftp,
                             cfg.api_listen, ports.api, modules)
                    # once per set: the leader's job (held while an upgrade checks health)
                    nursery.start_soon(_resync_after_hold, svc.paths.resync_hold, watcher)
                else:
                    log.info("provhost process %s serving on %s: HTTP %d, TFTP %d (API, FTP, "
                             "HTTPS and resync: the leader's); modules: %s", cfg.process,
                             cfg.listen, ports.http, ports.tftp, modules)
                if shutdown is not None:
                    nursery.start_soon(drain, nursery.cancel_scope)
                # every process applies module changes made elsewhere to its own engine
                await nursery.start(RegistryWatcher(engine, interval=cfg.registry_interval,
                                                    on_change=watcher.poke).run)
                task_status.started(ports)
        finally:
            with trio.CancelScope(shield=True):
                await engine.aclose()


async def _resync_after_hold(hold: Path, watcher: ResyncWatcher) -> None:
    """Run the resync watcher, once an upgrade in progress has released it (the file is
    gone, or its deadline passed: a dead upgrader cannot hold resyncs for ever)."""
    if hold.exists():
        log.info("resync held until the upgrade's health check passes")
        while hold.exists():
            try:
                if float(hold.read_text().strip() or 0) < time.time():
                    break
            except (OSError, ValueError):
                break
            await trio.sleep(0.1)
        log.info("resync released")
    await watcher.run()


def run_server(svc: Service, *, listen: str | None = None, http_port: int | None = None,
               tftp_port: int | None = None, api_port: int | None = None,
               https_port: int | None = None, certfile: str | None = None,
               keyfile: str | None = None, ftp_port: int | None = None,
               api_https: bool = False, processes: int | None = None) -> int:
    """Serve until stopped; the exit code.  With more than one process this process only
    supervises (server/processes.py); a child of it serves what the supervisor gave it."""
    spec = child_spec()
    if spec is not None:
        cfg = ServerConfig(**{**spec["config"], "http_fd": spec["http_fd"],
                              "tftp_fd": spec["tftp_fd"], "leader": spec["index"] == 0,
                              "process": f"{spec['index']}/{spec['count']}"})
        return _run(svc, cfg)
    env = os.environ.get
    cfg = ServerConfig(
        listen=listen or env("PROVHOST_LISTEN", "0.0.0.0"),
        http_port=http_port or int(env("PROVHOST_HTTP_PORT", "8080")),
        tftp_port=tftp_port or int(env("PROVHOST_TFTP_PORT", "6969")),
        api_port=api_port or int(env("PROVHOST_API_PORT", "8081")),
        https_port=https_port, certfile=certfile, keyfile=keyfile,
        ftp_port=ftp_port or int(env("PROVHOST_FTP_PORT", "2121")),
        drain_timeout=float(env("PROVHOST_DRAIN_TIMEOUT", "10")),
        api_https=api_https,
    )
    n = processes or int(env("PROVHOST_PROCESSES", "0")) or (os.cpu_count() or 1)
    if n > 1:
        argv = [*child_argv(), "--data-dir", str(svc.paths.data_dir),
                "--database", svc.paths.database_url, "serve"]
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            argv.insert(3, "--verbose")
        return supervise(cfg, n, argv)
    return _run(svc, cfg)


def _run(svc: Service, cfg: ServerConfig) -> int:
    try:
        trio.run(_serve_until_sigterm, svc, cfg)
    except* KeyboardInterrupt:  # trio may wrap it in an exception group
        log.info("provhost stopped")
    return 0


async def _serve_until_sigterm(svc: Service, cfg: ServerConfig) -> None:
    """SIGTERM (systemctl stop, an upgrade's drain) is a graceful stop, not a kill."""
    shutdown = trio.Event()

    async def on_sigterm() -> None:
        with trio.open_signal_receiver(signal.SIGTERM) as signals:
            async for _ in signals:
                shutdown.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(on_sigterm)
        await serve_all(svc, cfg, shutdown=shutdown)
        nursery.cancel_scope.cancel()
    log.info("provhost stopped (drained)")
