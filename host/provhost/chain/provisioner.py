"""Answering one provisioning request: offer it to each active module in chain order.

Flow: normalise the path (reject and log hostile ones) -> for each module, for each of its
providers (file-name order): run the provider in the module's sandbox with the request's
globals; `passNext` or a failure moves on, any other outcome ends the chain.  Script
failures are logged with module, script and reason, counted toward quarantine, and treated
as `passNext`.  Every request leaves a Trace.

A module that declares the paths it answers (info `paths`) is only offered those: one
sandbox round trip per request instead of one per module.

Load: a module whose queue is full answers "busy" for the whole request (the phone retries;
a healthy module under a boot storm must not have its phones answered by a later module).
A *stalled* module -- every worker stuck on one call past the pool's stall threshold, e.g. a
provider sleeping to its deadline -- is skipped like a failing one, so the modules after it
keep serving; if none of them answers, the request gets "busy", not "not found".
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, NoReturn

import trio

from provhost.auth import digest as phone_auth
from provhost.chain.answer import (
    Answer,
    Busy,
    FileRefused,
    NotFound,
    Refused,
    Rejected,
    Served,
    Stored,
    Throttled,
    Unauthorized,
    answer_size,
    content_type_for,
    resolve_sandbox_file,
)
from provhost.chain.markers import MarkerError, MarkerTable
from provhost.chain.normalize import PathRejected, resolve_path
from provhost.chain.scan_guard import ScanGuard, ScanPolicy, Throttle, unknown_mac
from provhost.chain.trace import ModuleStep, Trace, TraceLog
from provhost.engine import ActiveModule, Engine
from provhost.hoststate import Snapshot
from provhost.mac import MacError, normalize_mac, pretty_mac
from provhost.moduleapi.capabilities import CapabilityBroker
from provhost.moduleapi.fingerprint import config_fingerprint
from provhost.moduleapi.module_globals import set_module_var
from provhost.moduleapi.variables import (
    phone_vars,
    provision_defaults,
    request_part,
    script_globals,
    settings_vars,
)
from provhost.moduleformat.templates import compile_expression_string
from provhost.runtime.interface import (
    Action,
    BrokerError,
    PoolClosed,
    PoolOverloaded,
    PoolStalled,
    ScriptCall,
    ScriptKind,
    ScriptOutcome,
)
from provhost.uploads import UploadRefused

log = logging.getLogger("provhost.chain")
scan_log = logging.getLogger("provhost.scan")


@dataclass(frozen=True)
class ProvisioningRequest:
    proto: str  # tftp | http | https | ftp
    path: str  # as received (HTTP: already percent-decoded)
    client_ip: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    upload: bytes | None = None  # the file a phone sends (HTTP PUT/POST, TFTP WRQ)
    review: bool = False  # a replay for "Download configuration": records nothing
    login: str = ""  # FTP: the session's verified user ("anonymous" or a phone's MAC)
    server_ip: str = ""  # the local address the request arrived on ($OPERATOR_IP)
    options: dict[str, str] = field(default_factory=dict)  # TFTP options ($OPT_*)


class _RequestBroker:
    """The handler set of a provider script (moduleapi/capabilities.py), bound to one
    request and one module.

    Per-phone credentials (auth/digest.py): associatePhone() for a phone whose
    credentials are *required* fails unless an HTTP(S) request carries a valid digest
    Authorization (a TFTP request fails outright; FTP has its own login); `denial` then
    holds the answer that replaces whatever the script does next, and nothing about the
    phone is recorded."""

    def __init__(self, prov: Provisioner, am: ActiveModule, req: ProvisioningRequest,
                 trace: Trace, dialplans: dict[str, str], settings: dict[str, str]) -> None:
        self.prov, self.am, self.req, self.trace = prov, am, req, trace
        self.dialplans, self.settings = dialplans, settings
        self.phone_config: dict[str, Any] | None = None
        self.denial: Answer | None = None
        # the served answer carried the phone's provisioning password (pending -> required)
        self.credentials_delivered = False

    def set_marker(self, name: str, value: Any) -> None:
        try:
            self.prov.markers.set(self.req.client_ip, name, value)
        except MarkerError as e:
            raise BrokerError(f"setMarker: {e}") from None
        self.trace.markers_set[name] = str(value)

    def set_module_var(self, name: str, value: Any) -> None:
        if self.req.review:  # a replay records nothing
            return
        set_module_var(self.prov.state.store, self.am.id, name, value)

    def associate_phone(self, mac_text: str, ident: str) -> dict[str, Any]:
        try:
            mac = normalize_mac(mac_text)
        except MacError as e:
            raise BrokerError(f"associatePhone: {e}") from None
        types = {t.ident: t for t in self.am.entry.module.phone_types}
        ptype = types.get(ident)
        if ptype is None:
            raise BrokerError(
                f"associatePhone: unknown phone type {ident!r}; module {self.am.id} "
                f"defines: {', '.join(sorted(types)) or 'none'}"
            )
        store = self.prov.state.store
        phone = store.get_phone(mac)
        if self.req.review:
            # a replay must not move the phone's address or its $LAST_CONFIG
            if phone is None:
                raise BrokerError(f"associatePhone: {mac} is not a registered phone "
                                  "(configuration review creates no phones)")
        elif phone is None:
            auto = self.settings["AUTO_EXTENSION"] == "1"
            phone = store.create_phone(
                mac, ident, self.am.id, self.req.client_ip, auto_line=auto,
                provision_auth=self.settings["PROVISION_AUTH"] == "new",
                server_ip=self.req.server_ip)
            self.trace.phone_created = True
        else:
            self._check_credentials(phone.mac, phone.provision_auth, phone.provision_user,
                                    phone.provision_password)
            store.touch_phone(mac, self.req.client_ip, ident, self.am.id, self.req.server_ip)
        lines = store.list_lines(mac)
        # only this phone's users: loading every user made each request O(users)
        users = {u.id: u for uid in {x.user_id for x in lines if x.user_id is not None}
                 if (u := store.get_user(uid)) is not None}
        v = phone_vars(phone, ptype, lines, users, self.dialplans)
        self.phone_config = dict(v)
        self.trace.phone, self.trace.phone_type = mac, ident
        v["TYPE_OPTIONS"] = self._compiled_options(ident)
        v = {**provision_defaults(), **v}  # phones without credentials see empty strings
        return v

    def _check_credentials(self, mac: str, state: str, user: str, password: str) -> None:
        """Refuse the association (BrokerError, `denial` set) unless the request may have
        this phone's configuration: credentials not required, FTP (its own login), or a
        valid digest over HTTP(S)."""
        if state != "required":
            return
        who = f"phone {pretty_mac(mac)}"
        if self.req.proto == "ftp":
            # FTP has its own login (MAC + admin password, checked by the FTP server): only
            # the phone's own login may fetch its configuration, never anonymous
            try:
                if normalize_mac(self.req.login) == mac:
                    return
            except MacError:
                pass
            self._refuse(f"{who} requires authentication; over FTP only its own login (MAC "
                         f"and admin password) gets its configuration, not "
                         f"{self.req.login or 'anonymous'!r}")
        if self.req.proto not in ("http", "https"):
            self._refuse(f"{who} requires HTTP(S) digest authentication; its configuration "
                         f"is not served over {self.req.proto}")
        ctx = self.prov.state.phone_auth()
        now = time.time()
        check = phone_auth.verify(
            self.req.headers.get("authorization"), key=ctx.key, client=self.req.client_ip,
            method=self.req.method, path=self.req.path, user=user, password=password, now=now)
        check = ctx.replays.admit(check, now)
        if check.verdict is phone_auth.Verdict.OK:
            return
        if check.verdict is phone_auth.Verdict.REFUSED:
            # failed credentials: leave the phone unassociated, so that the scan guard
            # counts the MAC as an unknown one (a no-credentials first leg is not counted)
            log.warning("refused %s %s from %s: %s: %s", self.req.proto, self.req.path,
                        self.req.client_ip, who, check.reason)
        else:
            self.trace.phone = mac
        self.denial = Unauthorized(self.am.id, stale=check.verdict is phone_auth.Verdict.STALE,
                                   reason=check.reason)
        self.trace.note = f"{who}: digest authentication needed ({check.reason})"
        raise BrokerError(f"associatePhone: {who} requires HTTP digest authentication")

    def _refuse(self, reason: str) -> NoReturn:
        """A protocol that cannot carry this phone's credentials: answered as not found."""
        log.warning("refused %s %s from %s: %s", self.req.proto, self.req.path,
                    self.req.client_ip, reason)
        self.denial = NotFound(self.am.id, reason)
        raise BrokerError(f"associatePhone: {reason}")

    def denied(self, script: str) -> Answer | None:
        """The answer replacing the script's outcome when associatePhone() was refused."""
        if self.denial is not None:
            self.trace.steps.append(ModuleStep(self.am.id, script, self.denial.status, 0.0,
                                               self.denial.reason))
        return self.denial

    def note_delivery(self, outcome: ScriptOutcome) -> None:
        """Whether the rendered answer carries the phone's provisioning password verbatim:
        only then may its credentials become required.  (A module that never delivers
        them cannot lock its phones out.)"""
        password = (self.phone_config or {}).get("PROVISION_PASSWORD")
        self.credentials_delivered = bool(
            password and outcome.action is Action.TEMPLATE and password.encode() in outcome.body)

    def _compiled_options(self, ident: str) -> dict[str, str]:
        cache = self.am.compiled_options
        if ident not in cache:
            ptype = next(t for t in self.am.entry.module.phone_types if t.ident == ident)
            cache[ident] = {k: compile_expression_string(v, "phone_types", ptype.line)
                            for k, v in ptype.custom_options().items()}
        return cache[ident]


class Provisioner:
    def __init__(self, engine: Engine, *, marker_lifetime: float = 60.0,
                 script_timeout: float = 5.0, scan_policy: ScanPolicy | None = None) -> None:
        self.scan_guard = ScanGuard(scan_policy)
        self.engine = engine
        self.state = engine.state
        self.markers = MarkerTable(marker_lifetime)
        self.review_clients: set[str] = set()  # made-up addresses of running reviews
        self.traces = TraceLog()
        self.script_timeout = script_timeout

    def new_trace(self, req: ProvisioningRequest) -> Trace:
        """The request's one trace, recorded at once (so a request cut short still shows)."""
        trace = Trace(client=req.client_ip, proto=req.proto, path=req.path, method=req.method,
                      user_agent=req.headers.get("user-agent", ""))
        self.traces.add(trace)
        return trace

    async def provision(self, req: ProvisioningRequest,
                        trace: Trace | None = None) -> tuple[Answer, Trace]:
        """Answer one request, unless its address is throttled as a MAC scanner.  `trace`:
        the request's trace when the caller made it already (provision_with_deadline)."""
        if trace is None:
            trace = self.new_trace(req)
        if req.review:
            return await self._provision(req, trace), trace
        verdict = self.scan_guard.decide(req.client_ip, time.monotonic())
        if isinstance(verdict, Throttle):
            trace.status = "throttled"
            trace.note = f"mac-scan throttle, retry after {verdict.retry_after} s"
            return Throttled(verdict.retry_after), trace
        answer = await self._provision(req, trace)
        mac = unknown_mac(trace.path, status=answer.status, phone=trace.phone,
                          phone_created=trace.phone_created)
        offence = self.scan_guard.record(req.client_ip, time.monotonic(), answer.status, mac)
        if offence is not None:
            scan_log.warning("%s", offence.log_line)
        return answer, trace

    async def _provision(self, req: ProvisioningRequest, trace: Trace) -> Answer:
        try:
            resolved = resolve_path(req.path)
        except PathRejected as e:
            log.warning("rejected %s request from %s: %s", req.proto, req.client_ip, e)
            trace.status, trace.note = "rejected", str(e)
            return Rejected(str(e))
        path = resolved.path
        if resolved.climbed:  # resolved as Kerio does, but no phone climbs above the root
            log.warning("%s request from %s climbs above the root: %r served as %s",
                        req.proto, req.client_ip, req.path, path)
            trace.note = f"'..' above the root in {req.path!r}"
        trace.path = path
        markers = self.markers.get(req.client_ip)
        trace.markers_read = dict(markers)
        snapshot = self.state.snapshot()  # one view of the store for the whole request
        # the request's own globals: once per request, not once per module offered it
        request = request_part(
            path=path, proto=req.proto, client_ip=req.client_ip, method=req.method,
            headers=req.headers, upload_size=None if req.upload is None else len(req.upload),
            server_ip=req.server_ip, tftp_options=req.options, settings=snapshot.settings)
        stalled: list[str] = []
        for am in self.engine.chain():
            if not am.answers(path):  # the module declared it never answers this path
                continue
            try:
                answer = await self._ask_module(am, req, request, markers, snapshot, trace)
            except PoolStalled as e:
                log.warning("module %s skipped for %s from %s: %s", am.id, path,
                            req.client_ip, e)
                trace.steps.append(ModuleStep(am.id, "-", "stalled", 0.0, str(e)))
                stalled.append(am.id)
                continue
            if answer is not None:
                trace.status, trace.answered_by = answer.status, am.id
                trace.bytes_sent = answer_size(answer)
                return answer
        if stalled:
            trace.status = "busy"
            return Busy(f"module {', '.join(stalled)} is stalled", module=stalled[0])
        if req.upload is not None:
            trace.status = "refused"
            return Refused("no module accepts an upload to this path")
        trace.status = "notfound"
        return NotFound()

    async def _ask_module(self, am: ActiveModule, req: ProvisioningRequest,
                          request: dict[str, Any], markers: dict[str, str],
                          snapshot: Snapshot, trace: Trace) -> Answer | None:
        module = am.entry.module
        settings = snapshot.settings
        dialplans = await self.engine.dialplans(am, snapshot.dialplan)
        variables = script_globals(
            request=request, markers=markers, module_globals=snapshot.module_globals(am.id),
            module=self.engine.module_vars(am, snapshot, dialplans))
        for script in module.providers:
            broker = _RequestBroker(self, am, req, trace, dialplans, settings)
            call = ScriptCall(ScriptKind.PROVIDER, script, variables, self.script_timeout)
            started = time.perf_counter()
            try:
                outcome = await am.pool.run(call, CapabilityBroker(ScriptKind.PROVIDER, broker))
            except PoolOverloaded:
                trace.steps.append(ModuleStep(am.id, script, "busy", 0.0, "module overloaded"))
                return Busy(f"module {am.id} is overloaded", module=am.id)
            except PoolClosed:
                continue
            denied = broker.denied(script)  # per-phone credentials refused: discard output
            if denied is not None:
                return denied
            broker.note_delivery(outcome)
            elapsed = (time.perf_counter() - started) * 1000
            step = ModuleStep(am.id, script, outcome.action.value, elapsed,
                              "; ".join(outcome.log[-3:]))
            trace.steps.append(step)
            if outcome.action is Action.ERROR:
                reason = outcome.error or "unknown failure"
                step.detail = reason
                log.error("module %s, script %s: %s (treated as passNext)", am.id, script, reason)
                if not req.review:  # a replay's failures are reported, not held against it
                    await self.engine.record_failure(am, f"{script}: {reason}")
                return None
            if outcome.action is Action.SEND_UPLOAD and req.upload is None:
                answer = self._stored_upload_answer(am, broker, outcome, step)
                if answer is None:
                    continue
                self.engine.record_success(am)
                return answer  # a phone's own file: not a configuration it read
            if req.upload is not None or outcome.action is Action.UPLOAD:
                # (a module that predates uploads may answer a PUT like a GET: logged as an
                # error step, not held against it)
                answer = self._upload_answer(am, req, outcome, step)
                self.engine.record_success(am)
            else:
                answer = self._answer(am, outcome, request["PATH"], step)
                if step.decision != "error":
                    self.engine.record_success(am)
                elif not req.review:  # e.g. sendFile() outside its files: a failure too
                    await self.engine.record_failure(am, f"{script}: {step.detail}")
            if answer is None:
                continue
            if (isinstance(answer, Served) and broker.phone_config is not None
                    and not req.review):
                self._record_config(am, broker.phone_config, snapshot,
                                    delivered=broker.credentials_delivered)
            return answer
        return None

    def _answer(self, am: ActiveModule, outcome: Any, path: str, step: ModuleStep) -> Answer | None:
        ctype = outcome.content_type or content_type_for(path)
        match outcome.action:
            case Action.PASS:
                return None
            case Action.TEMPLATE:
                return Served(body=outcome.body, content_type=ctype, module=am.id)
            case Action.FILE:
                try:
                    f = resolve_sandbox_file(am.image, outcome.file or "")
                except FileRefused as e:
                    step.decision, step.detail = "error", str(e)
                    log.error("module %s: %s", am.id, e)
                    return None
                return Served(file=f, content_type=ctype, module=am.id)
            case Action.NOT_FOUND:
                return NotFound(am.id)
            case Action.OK:
                return Served(body=b"", module=am.id, empty=True)
        step.decision = "error"
        step.detail = f"a provider may not end with {outcome.action.value}"
        return None

    def _stored_upload_answer(self, am: ActiveModule, broker: _RequestBroker, outcome: Any,
                              step: ModuleStep) -> Answer | None:
        """sendUpload(): a file the associated phone uploaded earlier, or not found.

        Only after associatePhone() in this request (so the phone's provisioning
        credentials were checked): a module cannot read other phones' files by name."""
        if broker.phone_config is None:
            step.decision, step.detail = "error", "sendUpload() before associatePhone()"
            log.error("module %s: %s", am.id, step.detail)
            return None
        mac, name = broker.phone_config["MAC"], outcome.file or ""
        try:
            data = self.state.uploads().read(mac, name)
        except UploadRefused as e:
            step.detail = str(e)
            return NotFound(am.id)
        step.detail = f"uploaded file {name} of {mac} ({len(data)} bytes)"
        return Served(body=data, content_type=content_type_for(name), module=am.id)

    def _upload_answer(self, am: ActiveModule, req: ProvisioningRequest, outcome: Any,
                       step: ModuleStep) -> Answer | None:
        """An upload request may only be stored, refused as not found, or passed on."""
        match outcome.action:
            case Action.PASS:
                return None
            case Action.NOT_FOUND:
                return NotFound(am.id)
            case Action.UPLOAD if req.upload is not None:
                mac = outcome.body.decode("utf-8", "replace")
                name = outcome.file or ""
                try:
                    stored = self.state.accept_upload(mac, name, req.upload, req.client_ip)
                except UploadRefused as e:
                    step.detail = str(e)
                    log.warning("upload %s from %s refused: %s", req.path, req.client_ip, e)
                    return Refused(str(e), module=am.id)
                step.detail = f"stored as {stored} ({len(req.upload)} bytes)"
                return Stored(am.id, stored)
        step.decision = "error"
        step.detail = (f"a provider answered an upload with {outcome.action.value}"
                       if req.upload is not None else "acceptUpload() outside an upload")
        log.error("module %s: %s", am.id, step.detail)
        return None

    def _record_config(self, am: ActiveModule, config: dict[str, Any],
                       snapshot: Snapshot, *, delivered: bool) -> None:
        mac = config["MAC"]
        fp = config_fingerprint(am.id, am.entry.build, config,
                                settings_vars(snapshot.settings), snapshot.content_ids(am.id))
        store = self.state.store
        store.record_config(mac, config, fp)
        if delivered and store.require_provision_auth(mac):
            log.info("phone %s received its provisioning credentials; HTTP(S) requests for "
                     "it need digest authentication from now on", mac)


async def provision_with_deadline(prov: Provisioner, req: ProvisioningRequest,
                                  seconds: float) -> tuple[Answer, Trace]:
    """Bound a whole chain walk (several modules) by one deadline; the request keeps its
    one trace, marked with what happened, when the deadline cuts it short."""
    trace = prov.new_trace(req)
    with trio.move_on_after(seconds) as scope:
        return await prov.provision(req, trace)
    assert scope.cancelled_caught
    trace.status = "error"
    trace.note = f"chain did not answer within {seconds} s"
    return Busy(trace.note, timed_out=True), trace
