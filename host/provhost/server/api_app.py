"""The management REST API (ASGI, served by hypercorn on its own port, loopback by default).

Routes live in one table; the OpenAPI description is generated from that same table, so
the two cannot drift apart.  Every route except the description needs
`Authorization: Bearer <token>` (the token is in the data directory, `api-token`).
Every operation goes through the service layer the CLI uses.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import re
import secrets
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio

from provhost import firmware
from provhost.chain.provisioner import Provisioner
from provhost.download import is_url
from provhost.engine import Engine
from provhost.fwpackages.install import InstallOptions, install_package, package_views
from provhost.privatefile import read_or_create_private
from provhost.repo import client as repo_client
from provhost.resync.runner import resync_phone
from provhost.review import ReviewError, build_zip, review_phone
from provhost.server.lifespan import acknowledge_lifespan
from provhost.service import Service, ServiceError
from provhost.tracking import stale_phones
from provhost.version import version

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

MAX_BODY = 64 * 1024 * 1024  # a module archive


def load_or_create_token(data_dir: Path) -> str:
    """The management API's bearer token, created owner-only with O_EXCL (never readable
    by others, and two processes starting together agree on one token)."""
    made = (secrets.token_urlsafe(32) + "\n").encode()
    return read_or_create_private(data_dir / "api-token", made).decode().strip()


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RawJson:
    """A handler result with its own status (e.g. 422 with details beside the error)."""

    status: int
    payload: Any


@dataclass(frozen=True)
class RawBody:
    """A handler result sent as it is (a file download), not as JSON."""

    data: bytes
    content_type: str = "application/octet-stream"


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body or b"{}")
        except ValueError:
            raise HttpError(400, "request body is not valid JSON") from None
        if not isinstance(value, dict):
            raise HttpError(400, "request body must be a JSON object")
        return value

    def field(self, name: str, *, required: bool = True) -> Any:
        value = self.json().get(name)
        if required and value is None:
            raise HttpError(400, f"missing field {name!r}")
        return value

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("1", "true", "yes")


Handler = Callable[["ApiApp", Request], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # OpenAPI style: /modules/{module_id}
    summary: str
    handler: Handler
    body: str | None = None  # description of the JSON (or binary) body, for the spec
    status: int = 200

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.pattern) + "$")


# -- handlers ---------------------------------------------------------------------------
async def _modules(app: ApiApp, r: Request) -> Any:
    return app.svc.module_list()


async def _module_install(app: ApiApp, r: Request) -> Any:
    with tempfile.NamedTemporaryFile(suffix=".zip", dir=app.svc.paths.data_dir) as f:
        await _write_off_loop(f, r.body)
        result = await app.svc.module_install_off_loop(
            Path(f.name), allow_unsigned=r.flag("allow_unsigned"), force=r.flag("force"))
    await app.modules_changed()
    return result


async def _write_off_loop(f: Any, data: bytes) -> None:
    """Write a request body (up to 64 MiB) to its temporary file in a thread."""

    def write() -> None:
        f.write(data)
        f.flush()

    await trio.to_thread.run_sync(write)


async def _module_remove(app: ApiApp, r: Request) -> Any:
    app.svc.module_remove(r.params["module_id"])
    await app.modules_changed()


async def _module_enable(app: ApiApp, r: Request) -> Any:
    result = app.svc.module_enable(r.params["module_id"])
    await app.modules_changed()
    return result


async def _module_disable(app: ApiApp, r: Request) -> Any:
    result = app.svc.module_disable(r.params["module_id"])
    await app.modules_changed()
    return result


async def _module_runtime(app: ApiApp, r: Request) -> Any:
    result = app.svc.module_runtime(r.params["module_id"], r.field("runtime", required=False))
    await app.modules_changed()
    return result


async def _module_sequence(app: ApiApp, r: Request) -> Any:
    result = app.svc.module_sequence(r.params["module_id"], r.field("sequence", required=False))
    await app.modules_changed()
    return result


async def _phones(app: ApiApp, r: Request) -> Any:
    return app.svc.phone_list()


async def _phone_add(app: ApiApp, r: Request) -> Any:
    return app.svc.phone_add(r.field("mac"), r.field("phone_type"),
                             r.field("module", required=False))


async def _phone_show(app: ApiApp, r: Request) -> Any:
    return app.svc.phone_show(r.params["mac"])


async def _phone_remove(app: ApiApp, r: Request) -> Any:
    app.svc.phone_remove(r.params["mac"])


async def _phone_password(app: ApiApp, r: Request) -> Any:
    return app.svc.phone_set_password(r.params["mac"], r.field("password", required=False))


async def _phone_auth_show(app: ApiApp, r: Request) -> Any:
    return app.svc.phone_auth_show(r.params["mac"], reveal=r.flag("password"))


async def _phone_auth_on(app: ApiApp, r: Request) -> Any:
    app.svc.phone_auth_on(r.params["mac"])
    return app.svc.phone_auth_show(r.params["mac"], reveal=r.flag("password"))


async def _phone_auth_off(app: ApiApp, r: Request) -> Any:
    return app.svc.phone_auth_off(r.params["mac"])


async def _phone_config(app: ApiApp, r: Request) -> Any:
    mac = app.svc.phone_show(r.params["mac"])["mac"]
    try:
        files = await review_phone(app.provisioner, mac)
    except ReviewError as e:
        raise HttpError(422, str(e)) from None
    return RawBody(build_zip(files), "application/zip")


async def _phones_stale(app: ApiApp, r: Request) -> Any:
    return await stale_phones(app.engine)


async def _phone_resync(app: ApiApp, r: Request) -> Any:
    mac = app.svc.phone_show(r.params["mac"])["mac"]
    return dataclasses.asdict(await resync_phone(app.engine, mac))


async def _phone_uploads(app: ApiApp, r: Request) -> Any:
    return app.svc.phone_uploads(r.params["mac"])


async def _phone_upload(app: ApiApp, r: Request) -> Any:
    return RawBody(app.svc.phone_upload_read(r.params["mac"], r.params["name"]))


async def _firmware_list(app: ApiApp, r: Request) -> Any:
    return firmware.slot_views(app.svc.state)


async def _firmware_upload(app: ApiApp, r: Request) -> Any:
    filename = r.query.get("filename") or "upload.bin"
    with tempfile.NamedTemporaryFile(dir=app.svc.paths.data_dir) as f:
        await _write_off_loop(f, r.body)
        try:
            result = await firmware.upload(app.engine, r.params["module_id"], r.params["slot"],
                                           Path(f.name), filename, verify=not r.flag("no_verify"))
        except firmware.FirmwareError as e:
            return RawJson(422, {"error": str(e), "log": e.log_lines})
    return {**dataclasses.asdict(result.state), "files": result.files, "log": result.log}


async def _module_reload(app: ApiApp, r: Request) -> Any:
    view = await trio.to_thread.run_sync(app.svc.module_reload, r.params["module_id"])
    await app.modules_changed()
    return view


async def _module_vars(app: ApiApp, r: Request) -> Any:
    return {k: v if not isinstance(v, bytes) else v.decode("utf-8", "replace")
            for k, v in app.svc.module_vars(r.params["module_id"]).items()}


async def _repo_update(app: ApiApp, r: Request) -> Any:
    index = await repo_client.update(app.svc)
    return {"repository": index.repository, "channel": index.channel,
            "serial": index.serial, "modules": len(index.modules)}


async def _repo_search(app: ApiApp, r: Request) -> Any:
    return repo_client.search(app.svc, r.query.get("q", ""))


async def _repo_install(app: ApiApp, r: Request) -> Any:
    body = r.json()
    version = body.get("version")
    spec = r.params["module_id"] + (f"=={version}" if version else "")
    view = await repo_client.install(app.svc, spec, force=bool(body.get("force")))
    await app.modules_changed()
    return view


async def _repo_upgrade(app: ApiApp, r: Request) -> Any:
    body = r.json()
    ids = [str(i) for i in body.get("ids", [])]
    if not ids and not body.get("all"):
        raise HttpError(400, "give ids or all: true")
    rows = await repo_client.upgrade(app.svc, ids)
    await app.modules_changed()
    return rows


async def _firmware_packages(app: ApiApp, r: Request) -> Any:
    return package_views(app.svc.state, r.query.get("module") or None)


async def _package_install(app: ApiApp, r: Request) -> Any:
    """POST: download from the mirror/vendor (JSON options); PUT: the body is the file."""
    module_id, package_id = r.params["module_id"], r.params["package_id"]
    try:
        with tempfile.TemporaryDirectory(dir=app.svc.paths.data_dir) as tmp:
            if r.method == "PUT":
                source: str | None = str(Path(tmp) / "upload")
                Path(source).write_bytes(r.body)
                opts = InstallOptions(source=source, accept_licence=r.flag("accept_licence"),
                                      unverified=r.flag("unverified"))
            else:
                body = r.json()
                source = body.get("from")
                if source is not None and not is_url(str(source)):
                    raise HttpError(400, "from: only an http(s) URL over the API (upload a "
                                         "local file with PUT)")
                opts = InstallOptions(source=source,
                                      accept_licence=bool(body.get("accept_licence")),
                                      unverified=bool(body.get("unverified")))
            result = await install_package(app.engine, module_id, package_id, opts)
    except firmware.FirmwareError as e:
        return RawJson(422, {"error": str(e), "log": e.log_lines})
    inst = result.install
    return {"module": inst.module_id, "package": inst.package_id, "slot": inst.slot,
            "content_id": inst.content_id, "verified": inst.verified,
            "files": [{"name": n, "size": s, "sha256": h} for n, s, h in inst.files],
            "log": result.upload.log}


async def _firmware_clear(app: ApiApp, r: Request) -> Any:
    firmware.clear(app.svc.state, r.params["module_id"], r.params["slot"])


async def _firmware_preview(app: ApiApp, r: Request) -> Any:
    return RawBody(firmware.preview(app.svc.state, r.params["module_id"], r.params["slot"]),
                   "image/png")


async def _phone_lines(app: ApiApp, r: Request) -> Any:
    return app.svc.line_list(r.params["mac"])


async def _users(app: ApiApp, r: Request) -> Any:
    return app.svc.user_list()


async def _user_add(app: ApiApp, r: Request) -> Any:
    return app.svc.user_add(r.field("username"), r.field("fullname"))


async def _user_rename(app: ApiApp, r: Request) -> Any:
    return app.svc.user_rename(r.params["username"], r.field("fullname"))


async def _user_remove(app: ApiApp, r: Request) -> Any:
    app.svc.user_remove(r.params["username"])


async def _lines(app: ApiApp, r: Request) -> Any:
    return app.svc.line_list()


async def _line_add(app: ApiApp, r: Request) -> Any:
    body = r.json()
    return app.svc.line_add(
        str(r.field("telnum")), user=body.get("user"), phone=body.get("phone"),
        sip_username=body.get("sip_username"), sip_password=body.get("sip_password"),
        label=body.get("label", ""))


async def _line_assign(app: ApiApp, r: Request) -> Any:
    return app.svc.line_assign(r.params["telnum"], r.field("phone", required=False))


async def _line_remove(app: ApiApp, r: Request) -> Any:
    app.svc.line_remove(r.params["telnum"])


async def _settings(app: ApiApp, r: Request) -> Any:
    return app.svc.settings()


async def _setting_set(app: ApiApp, r: Request) -> Any:
    value = app.svc.setting_set(r.params["name"], str(r.field("value")))
    if r.params["name"] == "ADDON_RUNTIME":
        await app.modules_changed()
    return {"name": r.params["name"], "value": value}


async def _traces(app: ApiApp, r: Request) -> Any:
    try:
        limit = max(1, min(500, int(r.query.get("limit", "50"))))
    except ValueError:
        raise HttpError(400, "limit must be an integer") from None
    return [t.as_dict() for t in app.provisioner.traces.recent(limit)]


async def _spec(app: ApiApp, r: Request) -> Any:
    return openapi()


async def _version(app: ApiApp, r: Request) -> Any:
    """What is running: the upgrader's health check compares it with the release it
    installed."""
    return {"version": version(), "schema": app.svc.store.schema_version()}


ROUTES: list[Route] = [
    Route("GET", "/openapi.json", "this description", _spec),
    Route("GET", "/version", "the running provhost version and store schema version",
          _version),
    Route("GET", "/modules", "modules in chain order, with quarantine state", _modules),
    Route("POST", "/modules", "install or upgrade an add-on module (body: the zip; "
          "query allow_unsigned, force)", _module_install, body="application/zip", status=201),
    Route("DELETE", "/modules/{module_id}", "remove an add-on module", _module_remove),
    Route("POST", "/modules/{module_id}/enable", "enable a module (lifts a quarantine)",
          _module_enable),
    Route("POST", "/modules/{module_id}/disable", "disable a module", _module_disable),
    Route("PUT", "/modules/{module_id}/sequence", "set the sequence (null resets it)",
          _module_sequence, body='{"sequence": "4"}'),
    Route("PUT", "/modules/{module_id}/runtime", "pin the module to a runtime (native, wasm; "
          "null: the default for its kind)", _module_runtime, body='{"runtime": "wasm"}'),
    Route("GET", "/phones", "provisioned phones", _phones),
    Route("POST", "/phones", "add a phone", _phone_add,
          body='{"mac": "...", "phone_type": "...", "module": null}', status=201),
    Route("GET", "/phones/stale", "phones without an up-to-date configuration (changed since "
          "they last fetched it, or never fetched)", _phones_stale),
    Route("GET", "/phones/{mac}", "one phone", _phone_show),
    Route("DELETE", "/phones/{mac}", "forget a phone", _phone_remove),
    Route("GET", "/phones/{mac}/lines", "the lines on a phone", _phone_lines),
    Route("GET", "/phones/{mac}/config", "every file the phone would fetch, as a zip (the "
          "type's REVIEW list replayed through the chain); 422 names a missing file",
          _phone_config),
    Route("GET", "/phones/{mac}/uploads", "files the phone uploaded (logs, overrides)",
          _phone_uploads),
    Route("GET", "/phones/{mac}/uploads/{name}", "one uploaded file, as it was sent",
          _phone_upload),
    Route("PUT", "/phones/{mac}/password", "set (or generate, with null) the admin password",
          _phone_password, body='{"password": null}'),
    Route("GET", "/phones/{mac}/auth", "the phone's HTTP(S) provisioning credentials: state "
          "(off, pending, required) and user; the password only with query password=1",
          _phone_auth_show),
    Route("POST", "/phones/{mac}/auth", "new provisioning credentials (pending: delivered in "
          "the next configuration, required afterwards); query password=1 returns it",
          _phone_auth_on),
    Route("DELETE", "/phones/{mac}/auth", "remove the phone's provisioning credentials",
          _phone_auth_off),
    Route("POST", "/phones/{mac}/reload", "tell the phone to reload its configuration now",
          _phone_resync),
    Route("POST", "/phones/{mac}/resync", "tell the phone to reload its configuration now",
          _phone_resync),
    Route("GET", "/firmware", "firmware and logo slots of every module, with their content",
          _firmware_list),
    Route("PUT", "/firmware/{module_id}/{slot}", "upload a file to a slot (body: the file; "
          "query: filename, no_verify=1 to override the module's check); 422 when the "
          "module's script refuses it", _firmware_upload, body="application/octet-stream"),
    Route("DELETE", "/firmware/{module_id}/{slot}", "empty a slot", _firmware_clear),
    Route("POST", "/modules/{module_id}/reload", "re-read a module in development "
          "(`provhost module dev`); 409 with file:line when it does not compile", _module_reload),
    Route("GET", "/modules/{module_id}/vars", "the module's persistent globals "
          "(setModuleVar)", _module_vars),
    Route("POST", "/repository/update", "fetch and verify the repository's list of modules",
          _repo_update),
    Route("GET", "/repository/modules", "modules in the repository (query: q), with the "
          "installed version and whether an upgrade exists", _repo_search),
    Route("POST", "/repository/modules/{module_id}/install", "install a module from the "
          "repository (JSON: version, force)", _repo_install, body='{"version": null}'),
    Route("POST", "/repository/upgrade", "upgrade add-on modules from the repository (JSON: "
          "ids, or all: true)", _repo_upgrade, body='{"all": true}'),
    Route("GET", "/firmware/packages", "firmware packages the modules offer, with their slot "
          "and whether installed (query: module)", _firmware_packages),
    Route("POST", "/firmware/{module_id}/packages/{package_id}", "download, verify and install "
          "a firmware package (JSON: accept_licence, unverified, from = an http(s) URL); 422 "
          "with the reason when refused", _package_install,
          body='{"accept_licence": false, "unverified": false}'),
    Route("PUT", "/firmware/{module_id}/packages/{package_id}", "install a package from the "
          "file in the body (checked against the package's size and hash; query: "
          "accept_licence=1, unverified=1)", _package_install, body="application/octet-stream"),
    Route("GET", "/firmware/{module_id}/{slot}/preview", "the preview image (PNG) of a slot",
          _firmware_preview),
    Route("GET", "/users", "users", _users),
    Route("POST", "/users", "add a user", _user_add,
          body='{"username": "...", "fullname": "..."}', status=201),
    Route("PATCH", "/users/{username}", "change a user's full name", _user_rename,
          body='{"fullname": "..."}'),
    Route("DELETE", "/users/{username}", "remove a user", _user_remove),
    Route("GET", "/lines", "extensions", _lines),
    Route("POST", "/lines", "add an extension", _line_add,
          body='{"telnum": "10", "user": null, "phone": null, "sip_username": null, '
               '"sip_password": null, "label": ""}', status=201),
    Route("PUT", "/lines/{telnum}/phone", "put an extension on a phone (null: off)",
          _line_assign, body='{"phone": "112233445566"}'),
    Route("DELETE", "/lines/{telnum}", "remove an extension", _line_remove),
    Route("GET", "/settings", "global settings", _settings),
    Route("PUT", "/settings/{name}", "change a setting", _setting_set, body='{"value": "..."}'),
    Route("GET", "/traces", "recent request traces, newest first (query: limit)", _traces),
]
PREFIX = "/api/v1"


def openapi() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        params = re.findall(r"\{(\w+)\}", route.pattern)
        op: dict[str, Any] = {
            "summary": route.summary,
            "parameters": [{"name": p, "in": "path", "required": True,
                            "schema": {"type": "string"}} for p in params],
            "responses": {str(route.status): {"description": "success"},
                          "400": {"description": "refused; body {\"error\": ...}"},
                          "401": {"description": "missing or wrong token"}},
        }
        if route.body in ("application/zip", "application/octet-stream"):
            op["requestBody"] = {"content": {route.body: {
                "schema": {"type": "string", "format": "binary"}}}}
        elif route.body:
            op["requestBody"] = {"content": {"application/json": {
                "schema": {"type": "object"}, "example": json.loads(route.body)}}}
        paths.setdefault(PREFIX + route.pattern, {})[route.method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "provhost management API", "version": "1"},
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
        "paths": paths,
    }


def _status_for(message: str) -> int:
    return 404 if message.startswith(("no ", "unknown setting")) else 400


class ApiApp:
    def __init__(self, svc: Service, engine: Engine, provisioner: Provisioner, token: str,
                 on_change: Callable[[], None] | None = None):
        self.svc, self.engine, self.provisioner, self.token = svc, engine, provisioner, token
        self.on_change = on_change or (lambda: None)  # phones may need a resync
        self._routes = [(r, r.regex) for r in ROUTES]

    async def modules_changed(self) -> None:
        await self.engine.refresh()

    def _authorised(self, scope: Scope) -> bool:
        for k, v in scope["headers"]:
            if k.lower() == b"authorization":
                scheme, _, value = v.decode("latin-1").partition(" ")
                return scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), self.token)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await acknowledge_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            status, payload = await self._dispatch(scope, receive)
            if scope["method"] != "GET" and status < 300:
                self.on_change()
        except HttpError as e:
            status, payload = e.status, {"error": str(e)}
        except ServiceError as e:
            status, payload = _status_for(str(e)), {"error": str(e)}
        if isinstance(payload, RawBody):
            body, ctype = payload.data, payload.content_type.encode()
        else:
            body, ctype = json.dumps(payload, default=str).encode(), b"application/json"
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", ctype), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def _dispatch(self, scope: Scope, receive: Receive) -> tuple[int, Any]:
        path = scope["path"]
        if not path.startswith(PREFIX):
            raise HttpError(404, f"no such endpoint; the API lives under {PREFIX}")
        sub = path[len(PREFIX):] or "/"
        allowed = []
        for route, regex in self._routes:
            m = regex.match(sub)
            if m is None:
                continue
            allowed.append(route.method)
            if route.method != scope["method"]:
                continue
            if route.handler is not _spec and not self._authorised(scope):
                raise HttpError(401, "missing or wrong API token (Authorization: Bearer ...)")
            body = await _read_body(receive)
            query = dict(p.partition("=")[::2] for p in
                         scope.get("query_string", b"").decode().split("&") if p)
            result = await route.handler(self, Request(scope["method"], sub, m.groupdict(),
                                                       query, body))
            if isinstance(result, RawJson):
                return result.status, result.payload
            return route.status, {"ok": True} if result is None else result
        if allowed:
            raise HttpError(405, f"method not allowed; use {', '.join(allowed)}")
        raise HttpError(404, f"no such endpoint: {path}")


async def _read_body(receive: Receive) -> bytes:
    chunks, size = [], 0
    while True:
        msg = await receive()
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise HttpError(413, f"request body larger than {MAX_BODY} bytes")
        chunks.append(chunk)
        if not msg.get("more_body"):
            return b"".join(chunks)
