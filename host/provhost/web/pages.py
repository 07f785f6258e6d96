"""The pages of the web administration and what their forms do.

Each handler reads the request, calls the service layer (or the engine for what needs the
running chain: phone states, reloads, the configuration zip, firmware uploads) and renders a
template or redirects back with a message.  Refusals are ServiceError, turned into a
message on the page the form came from (app.py).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import trio

from provhost import firmware
from provhost import settings as settings_mod
from provhost.download import is_url
from provhost.fwpackages.install import InstallOptions, install_package, package_views
from provhost.mac import MacError, normalize_mac, pretty_mac
from provhost.repo import client as repo_client
from provhost.resync.runner import resync_phone
from provhost.review import ReviewError, build_zip, review_phone
from provhost.service import ServiceError
from provhost.tracking import phone_states
from provhost.web import csv_import
from provhost.web.app import COOKIE, Route, WebApp, back_to, route
from provhost.web.auth import Session
from provhost.web.http import Response, WebRequest, json_response, redirect

Params = dict[str, str]
log = logging.getLogger("provhost.web")

PHONE_COLUMNS = [("mac", "MAC"), ("type", "Type"), ("module", "Module"), ("lines", "Lines"),
                 ("last_ip", "Last address"), ("last_seen", "Last seen"), ("state", "State"),
                 ("credentials", "Credentials")]
MAX_TRACES = 50  # shown on the Requests page (each field clipped): keeps the page small
MAX_CHOICES = 200  # phones/users offered in a list; beyond, the field is typed
PAGE_SIZE = 100  # phones per page: the table stays far below 300 KB whatever the fleet


def paginate(items: list[Any], page: str) -> tuple[list[Any], int, int]:
    """One page of `items` (PAGE_SIZE), the page number shown, and the number of pages."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    try:
        n = min(max(1, int(page)), pages)
    except ValueError:
        n = 1
    return items[(n - 1) * PAGE_SIZE:n * PAGE_SIZE], n, pages


# -- phones ---------------------------------------------------------------------------
def _type_names(app: WebApp) -> dict[tuple[str, str], str]:
    return {(e.id, t.ident): t.name for e in app.svc.registry.entries()
            for t in e.module.phone_types}


async def _phone_rows(app: WebApp) -> list[dict[str, Any]]:
    names = _type_names(app)
    lines: dict[str, list[str]] = {}
    for x in app.svc.line_list():
        if x["phone"]:
            lines.setdefault(x["phone"], []).append(x["telnum"])
    rows = []
    for phone, state in await phone_states(app.engine):
        if phone.config_fingerprint is None:
            label = "never fetched"
        elif state.current:
            label = "up to date"
        else:
            label = "stale"
        rows.append({
            "mac": phone.mac, "mac_pretty": pretty_mac(phone.mac), "type": phone.phone_type,
            "type_name": names.get((phone.module_id, phone.phone_type), "(type not available)"),
            "module": phone.module_id, "lines": ", ".join(lines.get(phone.mac, [])),
            "last_ip": phone.last_ip, "last_seen": phone.last_seen if phone.last_ip else None,
            "state": label, "reason": state.reason, "expected": state.expected,
            "credentials": phone.provision_auth, "resync_result": phone.resync_result or "",
            "resync_at": phone.resync_at, "reloading": phone.mac in app.pending_reloads,
        })
    return rows


async def phones(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    rows = await _phone_rows(app)
    stale = [r for r in rows if r["state"] == "stale"]
    q = req.query.get("q", "").strip().lower()
    if q:
        rows = [r for r in rows if any(q in str(r[k]).lower() for k in
                                       ("mac", "mac_pretty", "type", "type_name", "module",
                                        "lines", "last_ip", "state", "credentials"))]
    sort = req.query.get("sort", "mac")
    if sort not in dict(PHONE_COLUMNS):
        sort = "mac"
    desc = req.query.get("dir") == "desc"
    rows.sort(key=lambda r: (r[sort] is None, str(r[sort] or "")), reverse=desc)
    total = len(rows)
    rows, page_no, pages = paginate(rows, req.query.get("page", "1"))
    types = [(e.id, t.ident, t.name) for e in app.svc.registry.chain()
             for t in e.module.phone_types]
    return app.render("phones.html", session, rows=rows, stale=stale, q=q, sort=sort,
                      desc=desc, columns=PHONE_COLUMNS, types=types,
                      spread=app.reload_spread, total=total, page=page_no, pages=pages)


async def phone_add(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    ptype = req.field("phone_type")
    module = None
    if "/" in ptype:  # "module/type" from the select
        module, ptype = ptype.split("/", 1)
    view = app.svc.phone_add(req.field("mac"), ptype, module)
    session.flash("ok", f"Phone {view['mac_pretty']} added ({ptype}).")
    return redirect(f"/phones/{view['mac']}")


async def phone_detail(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    view = app.svc.phone_show(p["mac"])
    row = next(r for r in await _phone_rows(app) if r["mac"] == view["mac"])
    users = {u["id"]: u for u in app.svc.user_list()}
    fetched = [t for t in app.provisioner.traces.recent(500) if t.phone == view["mac"]][:20]
    auth = app.svc.phone_auth_show(view["mac"])
    return app.render("phone.html", session, phone=view, row=row, users=users,
                      fetched=fetched, auth=auth)


async def phone_reload(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    mac = app.svc.phone_show(p["mac"])["mac"]
    verdict = await _reload(app, mac)
    session.flash("ok" if verdict.startswith("ok") else "error",
                  f"Reload of {pretty_mac(mac)}: {verdict}")
    return redirect(back_to(req))  # the list or the phone's page, where it was clicked


async def _reload(app: WebApp, mac: str) -> str:
    result = await resync_phone(app.engine, mac)
    verdict = f"{'ok' if result.ok else 'failed'} ({result.method}): {result.detail}"
    state = next((s for ph, s in await phone_states(app.engine) if ph.mac == mac), None)
    if state is not None and state.expected is not None:
        app.svc.store.record_resync(mac, state.expected, verdict[:500])
    return verdict


async def reload_stale(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    """Every stale phone with an address, one every `reload_spread` seconds, so that a
    building of phones does not fetch at the same moment."""
    due = [r["mac"] for r in await _phone_rows(app)
           if r["state"] == "stale" and r["last_ip"] and r["mac"] not in app.pending_reloads]
    if app.nursery is None:
        raise ServiceError("background reloads are not running")
    for i, mac in enumerate(due):
        app.pending_reloads.add(mac)
        app.nursery.start_soon(_reload_later, app, mac, i * app.reload_spread)
    session.flash("ok", f"Reloading {len(due)} stale phone(s), one every "
                        f"{app.reload_spread:g} s." if due else "No stale phone to reload.")
    return redirect("/phones")


async def _reload_later(app: WebApp, mac: str, delay: float) -> None:
    try:
        await trio.sleep(delay)
        await _reload(app, mac)
    except Exception:  # one phone's failure must not stop the others
        log.exception("reload of %s failed", mac)
    finally:
        app.pending_reloads.discard(mac)


async def phone_config(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    mac = app.svc.phone_show(p["mac"])["mac"]
    try:
        files = await review_phone(app.provisioner, mac)
    except ReviewError as e:
        session.flash("error", f"Cannot put the configuration of {pretty_mac(mac)} together: {e}")
        return redirect(f"/phones/{mac}")
    return Response(200, build_zip(files), "application/zip", headers=[
        (b"content-disposition", f'attachment; filename="provhost-{mac}.zip"'.encode())])


async def phone_password(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    view = app.svc.phone_set_password(p["mac"], req.field("password") or None)
    session.flash("ok", f"New admin password for {view['mac_pretty']}: {view['admin_password']} "
                        "(the phone gets it with its next configuration).")
    return redirect(f"/phones/{view['mac']}")


async def phone_credentials(app: WebApp, req: WebRequest, session: Session, p: Params
                            ) -> Response:
    if req.field("state") == "on":
        view = app.svc.phone_auth_on(p["mac"])
        session.flash("ok", f"Credentials for {view['mac_pretty']}: pending until the phone "
                            "fetches its next configuration, then required.")
    else:
        view = app.svc.phone_auth_off(p["mac"])
        session.flash("ok", f"Credentials for {view['mac_pretty']} are off.")
    return redirect(f"/phones/{view['mac']}")


async def phone_delete(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    mac = app.svc.phone_show(p["mac"])["mac"]
    app.svc.phone_remove(mac)
    session.flash("ok", f"Phone {pretty_mac(mac)} deleted.")
    return redirect("/phones")


async def import_page(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    return app.render("import.html", session, text="", plan=None, done=[],
                      columns=csv_import.COLUMNS)


async def import_post(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    text = req.form().get("csv", "")
    if req.field("action") == "apply":
        plan, done = csv_import.apply(app.svc, text)
        if done and plan.ok and len(done) == len(plan.rows):
            session.flash("ok", f"Imported {len(done)} row(s).")
            return redirect("/phones")
        return app.render("import.html", session, 422, text=text, plan=plan, done=done,
                          columns=csv_import.COLUMNS)
    plan = csv_import.plan(app.svc, text)
    return app.render("import.html", session, text=text, plan=plan, done=[],
                      columns=csv_import.COLUMNS)


# -- users and lines ----------------------------------------------------------------------
async def users(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    user_rows = app.svc.user_list()
    by_id = {u["id"]: u for u in user_rows}
    phone_rows = app.svc.phone_list()
    lines = app.svc.line_list()
    ext_of: dict[int, list[str]] = {}
    for x in lines:
        if x["user_id"] is not None:
            ext_of.setdefault(x["user_id"], []).append(x["telnum"])
    q = req.query.get("q", "").strip().lower()
    listed_users, listed_lines = user_rows, lines
    if q:
        listed_users = [u for u in user_rows
                        if q in u["username"].lower() or q in u["fullname"].lower()]
        listed_lines = [x for x in lines if any(q in str(v).lower() for v in (
            x["telnum"], x["sip_username"], x["label"], x["phone"] or "",
            pretty_mac(x["phone"]) if x["phone"] else "",
            by_id[x["user_id"]]["fullname"] if x["user_id"] in by_id else ""))]
    shown_users, upage, upages = paginate(listed_users, req.query.get("upage", "1"))
    shown_lines, lpage, lpages = paginate(listed_lines, req.query.get("lpage", "1"))
    return app.render("users.html", session, users=shown_users,
                      all_users=user_rows if len(user_rows) <= MAX_CHOICES else [],
                      lines=shown_lines, ext_of=ext_of, by_id=by_id,
                      phones=phone_rows if len(phone_rows) <= MAX_CHOICES else [],
                      upage=upage, upages=upages, lpage=lpage, lpages=lpages,
                      nusers=len(listed_users), nlines=len(listed_lines), q=q)


async def user_add(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    u = app.svc.user_add(req.field("username"), req.field("fullname"))
    session.flash("ok", f"User {u['username']} added.")
    return redirect("/users")


async def user_rename(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    u = app.svc.user_rename(req.field("username"), req.field("fullname"))
    session.flash("ok", f"User {u['username']} is now called {u['fullname']}.")
    return redirect("/users")


async def user_delete(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    app.svc.user_remove(req.field("username"))
    session.flash("ok", f"User {req.field('username')} deleted.")
    return redirect("/users")


async def line_add(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    x = app.svc.line_add(req.field("telnum"), user=req.field("user") or None,
                         phone=req.field("phone") or None,
                         sip_password=req.field("sip_password") or None,
                         label=req.field("label"))
    session.flash("ok", f"Extension {x['telnum']} added.")
    return redirect("/users")


async def line_assign(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    x = app.svc.line_assign(req.field("telnum"), req.field("phone") or None)
    where = pretty_mac(x["phone"]) if x["phone"] else "no phone"
    session.flash("ok", f"Extension {x['telnum']} is on {where}.")
    return redirect("/users")


async def line_delete(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    app.svc.line_remove(req.field("telnum"))
    session.flash("ok", f"Extension {req.field('telnum')} deleted.")
    return redirect("/users")


# -- modules ---------------------------------------------------------------------------
async def modules(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    rows = app.svc.module_list()
    states = {e.id: e.state for e in app.svc.registry.entries()}
    settings = app.svc.settings()
    repo_rows: list[dict[str, Any]] = []
    repo_error = ""
    if settings.get("MODULE_REPOSITORY"):
        try:
            repo_rows = repo_client.search(app.svc, req.query.get("q", ""))
        except ServiceError as e:
            repo_error = str(e)
    return app.render("modules.html", session, modules=rows, states=states,
                      repository=settings.get("MODULE_REPOSITORY", ""),
                      channel=settings.get("MODULE_CHANNEL", ""), repo_rows=repo_rows,
                      repo_error=repo_error, upgrades=[r for r in repo_rows if r["upgrade"]])


async def repo_update(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    index = await repo_client.update(app.svc)
    session.flash("ok", f"Repository {index.repository} ({index.channel}): "
                        f"{len(index.modules)} module version(s) listed.")
    return redirect("/modules")


async def repo_install(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    """Only signed modules come from the repository (install refuses unsigned ones)."""
    mid, version = req.field("id"), req.field("version")
    view = await repo_client.install(app.svc, mid + (f"=={version}" if version else ""))
    await app.engine.refresh()
    session.flash("ok", f"Module {view['id']} {view['version']} installed from the repository "
                        f"(signed by {view['signed_by']}).")
    return redirect("/modules")


async def repo_upgrade(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    ids = [req.field("id")] if req.field("id") else []
    rows = await repo_client.upgrade(app.svc, ids)
    await app.engine.refresh()
    done = "; ".join(f"{r['id']} {r['version']}: {r['result']}" for r in rows)
    session.flash("ok", f"Upgrade: {done or 'nothing to upgrade'}.")
    return redirect("/modules")


async def module_install(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    """The archive is the raw body (sent by app.js).  An unsigned module is installed only
    when this request says the administrator confirmed it (confirm_unsigned=1)."""
    confirmed = req.query.get("confirm_unsigned") == "1"
    with tempfile.NamedTemporaryFile(suffix=".zip", dir=app.svc.paths.data_dir) as f:
        f.write(req.body)
        f.flush()
        try:
            verdict = app.svc.module_verify(Path(f.name))
            if not verdict["signed"] and not confirmed:
                return json_response(409, json.dumps({
                    "needs_confirmation": True, "id": verdict["id"],
                    "version": verdict["version"],
                    "error": f"Module {verdict['id']} {verdict['version']} is not signed by a "
                             "key you trust."}))
            view = app.svc.module_install(Path(f.name), allow_unsigned=confirmed,
                                          force=req.query.get("force") == "1")
        except ServiceError as e:
            return json_response(400, json.dumps({"error": str(e)}))
    await app.engine.refresh()
    app.on_change()
    signed = f"signed by {view['signed_by']}" if view["signed"] else "UNSIGNED"
    session.flash("ok", f"Module {view['id']} {view['version']} installed ({signed}).")
    return json_response(200, json.dumps({"ok": True, "id": view["id"]}))


async def module_action(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    mid, action, value = req.field("id"), req.field("action"), req.field("value")
    if action == "enable":
        app.svc.module_enable(mid)
    elif action == "disable":
        app.svc.module_disable(mid)
    elif action == "remove":
        app.svc.module_remove(mid)
    elif action == "sequence":
        app.svc.module_sequence(mid, value or None)
    elif action == "runtime":
        app.svc.module_runtime(mid, value or None)
    else:
        raise ServiceError(f"unknown module action {action!r}")
    await app.engine.refresh()
    session.flash("ok", f"Module {mid}: {action} done.")
    return redirect("/modules")


# -- firmware and logos ------------------------------------------------------------------
async def firmware_page(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    return app.render("firmware.html", session, slots=firmware.slot_views(app.svc),
                      packages=package_views(app.svc.state))


async def firmware_package_install(app: WebApp, req: WebRequest, session: Session, p: Params
                                   ) -> Response:
    """Download, verify and install a module's firmware package (fwpackages/install.py)."""
    module, package = req.field("module"), req.field("package")
    source = req.field("from").strip() or None
    if source is not None and not is_url(source):
        session.flash("error", "From: only an http(s) URL here (or use the upload above)")
        return redirect("/firmware")
    opts = InstallOptions(source=source, accept_licence=req.field("accept_licence") == "1",
                          unverified=req.field("unverified") == "1")
    try:
        result = await install_package(app.engine, module, package, opts)
    except firmware.FirmwareError as e:
        session.flash("error", str(e))
        return redirect("/firmware")
    app.on_change()
    session.flash("ok", f"{module}/{package} installed into {result.install.slot} "
                        f"({'verified' if result.install.verified else 'UNVERIFIED'}).")
    return redirect("/firmware")


async def firmware_upload(app: WebApp, req: WebRequest, session: Session, p: Params
                          ) -> Response:
    module, slot = req.query.get("module", ""), req.query.get("slot", "")
    filename = req.query.get("filename") or "upload.bin"
    with tempfile.NamedTemporaryFile(dir=app.svc.paths.data_dir) as f:
        f.write(req.body)
        f.flush()
        try:
            result = await firmware.upload(app.engine, module, slot, Path(f.name), filename,
                                           verify=req.query.get("no_verify") != "1")
        except firmware.FirmwareError as e:
            return json_response(422, json.dumps({"error": str(e), "log": e.log_lines}))
    app.on_change()
    state = dataclasses.asdict(result.state)
    session.flash("ok", f"{module}/{slot}: {filename} accepted "
                        f"({'verified' if state['verified'] else 'NOT verified'}).")
    return json_response(200, json.dumps({"ok": True, "files": result.files,
                                          "log": result.log}))


async def firmware_clear(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    firmware.clear(app.svc, req.field("module"), req.field("slot"))
    session.flash("ok", f"{req.field('module')}/{req.field('slot')} emptied.")
    return redirect("/firmware")


async def firmware_preview(app: WebApp, req: WebRequest, session: Session, p: Params
                           ) -> Response:
    data = firmware.preview(app.svc, req.query.get("module", ""), req.query.get("slot", ""))
    return Response(200, data, "image/png")


# -- requests ---------------------------------------------------------------------------
async def requests(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    mac_q = req.query.get("mac", "").strip()
    ip_q = req.query.get("ip", "").strip()
    path_q = req.query.get("path", "").strip()
    mac_norm = ""
    if mac_q:
        try:
            mac_norm = normalize_mac(mac_q)
        except MacError:
            mac_norm = mac_q.lower().replace(":", "").replace("-", "")
    traces = []
    for t in app.provisioner.traces.recent(500):
        if mac_norm and mac_norm not in (t.phone or "") and mac_norm not in t.path.lower():
            continue
        if ip_q and ip_q not in t.client:
            continue
        if path_q and path_q.lower() not in t.path.lower():
            continue
        traces.append(t)
        if len(traces) >= MAX_TRACES:
            break
    throttled = app.provisioner.scan_guard.throttled(time.monotonic())
    return app.render("requests.html", session, traces=traces, mac=mac_q, ip=ip_q,
                      path=path_q, throttled=throttled,
                      chain=[am.id for am in app.engine.chain()])


# -- settings and account -----------------------------------------------------------------
async def settings_page(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    return app.render("settings.html", session, settings=app.svc.setting_list(), errors={},
                      values={})


async def settings_post(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    """Check every changed field first; save nothing unless all are valid."""
    current = {s["name"]: s["value"] for s in app.svc.setting_list()}
    form = req.form()
    changed = {n: form[n] for n in current if n in form and form[n] != current[n]}
    errors = {}
    for name, value in changed.items():
        try:
            settings_mod.validate(name, value)
        except settings_mod.SettingError as e:
            errors[name] = str(e)
    if errors:
        return app.render("settings.html", session, 422, settings=app.svc.setting_list(),
                          errors=errors, values=changed)
    for name, value in changed.items():
        app.svc.setting_set(name, value)
    if "ADDON_RUNTIME" in changed:
        await app.engine.refresh()
    session.flash("ok", f"Saved: {', '.join(changed)}." if changed else "Nothing changed.")
    return redirect("/settings")


async def account(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    return app.render("account.html", session, error="")


async def account_password(app: WebApp, req: WebRequest, session: Session, p: Params
                           ) -> Response:
    current, new, again = (req.form().get(k, "") for k in ("current", "new", "again"))
    ok = await trio.to_thread.run_sync(app.password.check, current)
    error = ""
    if not ok:
        error = "The current password is wrong."
    elif new != again:
        error = "The two new passwords differ."
    else:
        try:
            await trio.to_thread.run_sync(app.password.change, new)
        except ValueError as e:
            error = str(e)
    if error:
        return app.render("account.html", session, 422, error=error)
    app.sessions.drop_all()
    keep = app.sessions.create(time.monotonic())  # this browser stays logged in
    keep.flash("ok", "Password changed; other browsers were logged out.")
    resp = redirect("/account")
    resp.set_cookie(COOKIE, keep.sid, secure=req.https)
    return resp


async def logout(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    app.sessions.drop(session.sid)
    resp = redirect("/login")
    resp.set_cookie(COOKIE, "", secure=req.https, max_age=0)
    return resp


async def home(app: WebApp, req: WebRequest, session: Session, p: Params) -> Response:
    return redirect("/phones")


ROUTES: list[Route] = [
    route("GET", "/", home),
    route("GET", "/phones", phones),
    route("POST", "/phones/add", phone_add),
    route("POST", "/phones/reload-stale", reload_stale),
    route("GET", "/phones/{mac}", phone_detail),
    route("POST", "/phones/{mac}/reload", phone_reload),
    route("GET", "/phones/{mac}/config.zip", phone_config),
    route("POST", "/phones/{mac}/password", phone_password),
    route("POST", "/phones/{mac}/credentials", phone_credentials),
    route("POST", "/phones/{mac}/delete", phone_delete),
    route("GET", "/import", import_page),
    route("POST", "/import", import_post),
    route("GET", "/users", users),
    route("POST", "/users/add", user_add),
    route("POST", "/users/rename", user_rename),
    route("POST", "/users/delete", user_delete),
    route("POST", "/lines/add", line_add),
    route("POST", "/lines/assign", line_assign),
    route("POST", "/lines/delete", line_delete),
    route("GET", "/modules", modules),
    route("POST", "/modules/install", module_install, upload=True),
    route("POST", "/modules/action", module_action),
    route("POST", "/repository/update", repo_update),
    route("POST", "/repository/install", repo_install),
    route("POST", "/repository/upgrade", repo_upgrade),
    route("GET", "/firmware", firmware_page),
    route("POST", "/firmware/upload", firmware_upload, upload=True),
    route("POST", "/firmware/package", firmware_package_install),
    route("POST", "/firmware/clear", firmware_clear),
    route("GET", "/firmware/preview.png", firmware_preview),
    route("GET", "/requests", requests),
    route("GET", "/settings", settings_page),
    route("POST", "/settings", settings_post),
    route("GET", "/account", account),
    route("POST", "/account/password", account_password),
    route("POST", "/logout", logout),
]
