"""The web administration in a real browser (Debian's headless Chromium, driven by
Playwright) against a real provhost server, with real phones: curl from 127.0.0.N fetching
configurations, SIPp answering the NOTIFY of a reload.

One server and one logged-in browser page serve every test of this file, in order (the
login throttle test is last: it locks 127.0.0.1 out of logging in again).  Screenshots of
each page land in tests/web/screenshots/ (kept from the last run, not committed).
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..sip.sipp import SIPP, _udp_bound, free_udp_port
from .conftest import SCREENSHOTS, ServerProcess

MAC = "001565000001"
MAC_PRETTY = "00:15:65:00:00:01"
PHONE_IP = "127.0.0.5"
UA = f"Yealink SIP-T46G 28.83.0.50 {MAC_PRETTY}"
MAX_PAGE = 300 * 1024
NEW_PASSWORD = "a-new-password-1"
XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


@pytest.fixture(scope="module")
def page(browser: Any, server: ServerProcess) -> Iterator[Any]:
    SCREENSHOTS.mkdir(exist_ok=True)
    context = browser.new_context(base_url=server.base, accept_downloads=True)
    pg = context.new_page()
    pg.dialogs = []  # every alert/confirm the page raised: an XSS would show up here too

    def on_dialog(dialog: Any) -> None:
        pg.dialogs.append((dialog.type, dialog.message))
        dialog.accept()

    pg.on("dialog", on_dialog)
    password = (server.data_dir / "web-admin-password").read_text().strip()
    go(pg, "/phones")  # not logged in: sent to the login page
    assert pg.url.endswith("/login")
    shot(pg, "login")
    pg.fill("input[name=password]", password)
    pg.click("button[type=submit]")
    pg.wait_for_url("**/phones")
    yield pg
    context.close()
    (SCREENSHOTS / "page-sizes.txt").write_text(
        "".join(f"{size:8d}  {path}\n" for path, size in sorted(SIZES.items())))


SIZES: dict[str, int] = {}  # largest body seen per page, written beside the screenshots


def go(pg: Any, path: str) -> Any:
    resp = pg.goto(path)
    assert resp is not None and resp.ok, (path, resp and resp.status)
    size = len(resp.body())
    assert size < MAX_PAGE, f"{path} is {size} bytes"
    key = path.split("?")[0]
    SIZES[key] = max(SIZES.get(key, 0), size)
    return resp


def shot(pg: Any, name: str) -> None:
    pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def not_pwned(pg: Any) -> None:
    assert pg.evaluate("window.__pwned") is None
    assert [d for d in pg.dialogs if d[0] == "alert"] == []


def phone_fetch(server: ServerProcess, path: str, *, ip: str = PHONE_IP, ua: str = UA
                ) -> tuple[int, bytes]:
    proc = subprocess.run(["curl", "-s", "--max-time", "20", "--interface", ip, "-A", ua,
                           "-o", "-", "-w", "\n%{http_code}", server.phone_url(path)],
                          capture_output=True, check=False)
    body, _, status = proc.stdout.rpartition(b"\n")
    return int(status or 0), body


def phone_fetch_many(server: ServerProcess, paths: list[str], *, ip: str, ua: str
                     ) -> list[int]:
    """Many requests from one curl process (one address): the statuses, in order."""
    args = []
    for path in paths:
        args += [server.phone_url(path), "-o", "/dev/null"]
    proc = subprocess.run(["curl", "-s", "--max-time", "60", "--interface", ip, "-A", ua,
                           "-w", "%{http_code}\n", *args], capture_output=True, check=False)
    return [int(x) for x in proc.stdout.split()]


def row_state(pg: Any, mac: str) -> str:
    go(pg, "/phones")
    return pg.inner_text(f"tr[data-mac='{mac}'] .state").strip()


def png(width: int, height: int) -> bytes:
    """A small RGB picture: a dark square on white (made here, no image library)."""
    rows = b""
    for y in range(height):
        row = b"\x00"
        for x in range(width):
            inside = width // 4 < x < 3 * width // 4 and height // 4 < y < 3 * height // 4
            row += b"\x10\x20\x80" if inside else b"\xff\xff\xff"
        rows += row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def unsigned_module(version: str = "1.0") -> bytes:
    files = {
        "info": f"id = xsstest\nname = {XSS}\nversion = {version}\nsequence = 9\n",
        "phone_types": 'xss_phone 1 "<img src=x onerror=window.__pwned=5>"\n',
        "providers/p.php": "<?php\npassNext();\n",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def api(server: ServerProcess) -> httpx.Client:
    token = (server.data_dir / "api-token").read_text().strip()
    return httpx.Client(base_url=f"{server.base}/api/v1", timeout=30,
                        headers={"Authorization": f"Bearer {token}"})


# -- the tests, in order ------------------------------------------------------------------
def test_settings_errors_at_the_field(page: Any) -> None:
    go(page, "/settings")
    page.fill("#s-TIMEZONE_OFFSET", "three hours")
    page.fill("#s-VOICEMAIL_EXT", "77")
    page.click("button:has-text('Save changes')")
    error = page.inner_text("#e-TIMEZONE_OFFSET")
    assert "expected an integer" in error
    assert page.get_attribute("#s-TIMEZONE_OFFSET", "aria-invalid") == "true"
    shot(page, "settings-error")
    go(page, "/settings")  # nothing was saved: all or nothing
    assert page.input_value("#s-VOICEMAIL_EXT") == "50"
    page.fill("#s-SIP_NOTIFY_TIMEOUT", "1")
    page.click("button:has-text('Save changes')")
    assert "Saved: SIP_NOTIFY_TIMEOUT" in page.inner_text(".flash.ok")
    assert page.input_value("#s-SIP_NOTIFY_TIMEOUT") == "1"
    shot(page, "settings")


def test_user_line_phone_fetch_stale_and_reload(page: Any, server: ServerProcess,
                                                tmp_path: Path) -> None:
    go(page, "/users")
    page.fill("form[action='/users/add'] input[name=username]", "alice")
    page.fill("form[action='/users/add'] input[name=fullname]", "Alice Example")
    page.click("form[action='/users/add'] button")
    assert "User alice added." in page.inner_text(".flash.ok")

    go(page, "/phones")
    page.fill("form[action='/phones/add'] input[name=mac]", MAC_PRETTY)
    page.select_option("form[action='/phones/add'] select", "yealink/yealink_t46")
    page.click("form[action='/phones/add'] button")
    page.wait_for_url(f"**/phones/{MAC}")
    assert "Phone 00:15:65:00:00:01 added" in page.inner_text(".flash.ok")

    go(page, "/users")
    form = "form[action='/lines/add']"
    page.fill(f"{form} input[name=telnum]", "10")
    page.fill(f"{form} input[name=user]", "alice")
    page.fill(f"{form} input[name=phone]", MAC_PRETTY)
    page.click(f"{form} button")
    assert "Extension 10 added." in page.inner_text(".flash.ok")
    assert row_state(page, MAC) == "never fetched"

    # the phone boots: its MAC file, over HTTP, from its own address
    sip_port = free_udp_port()
    go(page, "/settings")
    page.fill("#s-SIP_PORT", str(sip_port))
    page.click("button:has-text('Save changes')")
    status, body = phone_fetch(server, f"/{MAC}.cfg")
    assert status == 200 and b"Alice Example" in body
    assert row_state(page, MAC) == "up to date"
    assert page.inner_text(f"tr[data-mac='{MAC}'] td:nth-child(5)") == PHONE_IP
    shot(page, "phones-up-to-date")

    # SIPp is the phone: it takes the automatic NOTIFY (the rename) and the Reload's
    sipp = subprocess.Popen(
        [SIPP, "-sf", str(Path(__file__).parent / "notify_twice.xml"), "-i", PHONE_IP,
         "-p", str(sip_port), "-m", "2", "-nostdin", "-timeout", "30s", "-timeout_error",
         "-trace_msg", "-trace_logs"], cwd=tmp_path, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while not _udp_bound(sip_port):
            assert sipp.poll() is None and time.monotonic() < deadline, "sipp did not start"
            time.sleep(0.02)
        go(page, "/users")
        page.fill("tr[data-user=alice] input[name=fullname]", "Alice Renamed")
        page.click("tr[data-user=alice] button:has-text('Save name')")
        assert "now called Alice Renamed" in page.inner_text(".flash.ok")
        assert row_state(page, MAC) == "stale"
        assert "do not have an up-to-date configuration" in page.inner_text("#stale-banner")
        shot(page, "phones-stale")
        page.click(f"tr[data-mac='{MAC}'] button:has-text('Reload configuration')")
        flash = page.inner_text(".flash")
        assert f"Reload of {MAC_PRETTY}: ok (SIPNOTIFY)" in flash, flash
        rc = sipp.wait(timeout=20)
    finally:
        if sipp.poll() is None:
            sipp.kill()
            sipp.wait()
    messages = "".join(p.read_text(errors="replace") for p in tmp_path.glob("*_messages.log"))
    assert rc == 0, messages[-3000:]
    assert messages.count("NOTIFY sip:") >= 2  # the rename's and the button's
    status, body = phone_fetch(server, f"/{MAC}.cfg")
    assert status == 200 and b"Alice Renamed" in body
    assert row_state(page, MAC) == "up to date"


def test_phone_details_and_configuration_zip(page: Any) -> None:
    go(page, f"/phones/{MAC}")
    facts = page.inner_text("dl.facts")
    assert "up to date" in facts and PHONE_IP in facts
    assert "10" in page.inner_text("table >> nth=0")
    assert f"/{MAC}.cfg" in page.inner_text("body")  # what it fetched
    shot(page, "phone-detail")
    with page.expect_download() as info:
        page.click("a:has-text('Download configuration')")
    data = Path(info.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        texts = {n: zf.read(n) for n in names}
    mac_files = [n for n in names if MAC in n]
    assert mac_files, names
    assert b"Alice Renamed" in texts[mac_files[0]]


def test_filter_and_sort_phones(page: Any) -> None:
    go(page, "/phones?q=yealink")
    assert page.locator(f"tr[data-mac='{MAC}']").count() == 1
    go(page, "/phones?q=nothing-like-this")
    assert page.locator("tr[data-mac]").count() == 0
    assert "No phone matches" in page.inner_text("#phones")
    go(page, "/phones?sort=last_ip&dir=desc")
    assert "\u25bc" in page.inner_text("#phones thead")


def test_logo_upload_preview_and_rejection(page: Any, tmp_path: Path) -> None:
    go(page, "/firmware")
    row = "tr[data-slot='cisco-spa/logo_bw']"
    assert "128x48" in page.inner_text(f"{row} td.longdesc")
    bad = tmp_path / "notes.txt"
    bad.write_text("not a picture")
    page.set_input_files(f"{row} input[type=file]", str(bad))
    page.click(f"{row} button.fw-upload")
    page.wait_for_selector(f"{row} .fw-status.bad")
    assert "Rejected: firmware/logo.sh rejected the file: not an image" in page.inner_text(
        f"{row} .fw-status")
    assert page.evaluate(f"() => document.querySelector(\"{row} progress\").hidden") is False
    shot(page, "firmware-rejected")
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(96, 40))
    page.set_input_files(f"{row} input[type=file]", str(logo))
    with page.expect_navigation():
        page.click(f"{row} button.fw-upload")
    img = page.locator(f"{row} img.preview")
    img.wait_for()
    page.wait_for_function(
        "() => { const i = document.querySelector(\"tr[data-slot='cisco-spa/logo_bw'] "
        "img.preview\"); return i && i.complete && i.naturalWidth > 0; }")
    size = page.evaluate("() => { const i = document.querySelector(\"tr[data-slot='cisco-spa/"
                         "logo_bw'] img.preview\"); return [i.naturalWidth, i.naturalHeight]; }")
    assert size == [128, 48]  # the converted logo, not the upload
    assert "logo.png" in page.inner_text(row) and "verified" in page.inner_text(row)
    shot(page, "firmware")


def test_unsigned_module_only_through_the_confirmation(page: Any, server: ServerProcess,
                                                       tmp_path: Path) -> None:
    archive = tmp_path / "xsstest.zip"
    archive.write_bytes(unsigned_module())
    go(page, "/modules")
    page.set_input_files("#module-file", str(archive))
    page.click("#module-install")
    dialog = page.locator("#unsigned-dialog")
    dialog.wait_for(state="visible")
    text = dialog.inner_text()
    assert "send your phones to another SIP server" in text and "SIP and admin passwords" in text
    assert page.is_disabled("#unsigned-confirm")  # not until the box is ticked
    shot(page, "modules-unsigned-confirmation")
    page.click("#unsigned-cancel")
    with api(server) as client:
        assert "xsstest" not in [m["id"] for m in client.get("/modules").json()]
        # the browser path refuses an unconfirmed unsigned module on the server side too
        r = page.request.post(f"{server.base}/modules/install", data=archive.read_bytes(),
                              headers={"X-CSRF-Token": page.get_attribute("body", "data-csrf"),
                                       "Content-Type": "application/octet-stream"})
        assert r.status == 409 and r.json()["needs_confirmation"] is True
        assert "xsstest" not in [m["id"] for m in client.get("/modules").json()]
        page.click("#module-install")
        dialog.wait_for(state="visible")
        page.check("#unsigned-understood")
        with page.expect_navigation():
            page.click("#unsigned-confirm")
        installed = {m["id"]: m for m in client.get("/modules").json()}
    assert installed["xsstest"]["signed"] is False
    row = page.locator("tr[data-module=xsstest]")
    assert "UNSIGNED" in row.inner_text()
    assert XSS in row.inner_text()  # shown as text, never run
    not_pwned(page)
    shot(page, "modules")
    go(page, "/phones")  # the type's name (with markup) is in the add-phone list
    assert "onerror=window.__pwned=5" in page.inner_text("form[action='/phones/add'] select")
    not_pwned(page)
    # and the module can be disabled, given a sequence, and removed from the page
    go(page, "/modules")
    page.fill("tr[data-module=xsstest] input[name=value]", "7")
    page.click("tr[data-module=xsstest] form:has(input[value=sequence]) button")
    assert "7" in page.input_value("tr[data-module=xsstest] input[name=value]")
    page.click("tr[data-module=xsstest] button:has-text('Disable')")
    assert "disabled" in page.inner_text("tr[data-module=xsstest]")
    page.click("tr[data-module=xsstest] button:has-text('Enable')")
    assert "enabled" in page.inner_text("tr[data-module=xsstest]")
    # an upgrade is an install of a higher version (unsigned: the dialog again)
    newer = tmp_path / "xsstest-1.1.zip"
    newer.write_bytes(unsigned_module("1.1"))
    page.set_input_files("#module-file", str(newer))
    page.click("#module-install")
    dialog.wait_for(state="visible")
    page.check("#unsigned-understood")
    with page.expect_navigation():
        page.click("#unsigned-confirm")
    assert "Module xsstest 1.1 installed (UNSIGNED)." in page.inner_text(".flash.ok")
    assert "1.1" in page.inner_text("tr[data-module=xsstest] td:nth-child(3)")
    page.set_input_files("#module-file", str(archive))  # 1.0 again: a downgrade, refused
    page.click("#module-install")
    dialog.wait_for(state="visible")
    page.check("#unsigned-understood")
    page.click("#unsigned-confirm")
    page.wait_for_selector("#install-status.bad")
    assert "Refused:" in page.inner_text("#install-status")
    page.click("tr[data-module=xsstest] button:has-text('Disable')")


def test_modules_from_the_repository(page: Any, server: ServerProcess, tmp_path: Path) -> None:
    """A signed repository (a directory, published with the real CLI): list, install,
    then upgrade from the page."""
    cli = [str(Path(sys.executable).parent / "provhost"), "--data-dir", str(server.data_dir)]

    def run(*args: str) -> str:
        r = subprocess.run([*cli, *args], capture_output=True, text=True, timeout=120,
                           check=False)
        assert r.returncode == 0, f"{args}: {r.stdout}{r.stderr}"
        return r.stdout

    repo, key = tmp_path / "repo", tmp_path / "repo.key"
    public = json.loads(run("--json", "module", "keygen", "-o", str(key)))["public_key"]
    run("repo", "init", str(repo), "--name", "acme", "--key", str(key))

    def publish(version: str) -> None:
        archive = tmp_path / f"webprobe-{version}.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("info", f"[module]\nid = webprobe\nname = Web probe\n"
                                f"version = {version}\ndescription = a probe for the page\n")
            zf.writestr("phone_types", 'webprobe_phone 1 "Probe phone"\n')
            zf.writestr("providers/p.php", "<?php passNext();\n")
        run("repo", "publish", str(repo), "--channel", "testing", "--key", str(key),
            str(archive))

    publish("1.0")
    run("module", "trust", "acme", public)
    with api(server) as client:
        for name, value in (("MODULE_REPOSITORY", str(repo)), ("MODULE_CHANNEL", "testing"),
                            ("MODULE_REPOSITORY_KEY", "acme")):
            assert client.put(f"/settings/{name}", json={"value": value}).status_code == 200
    go(page, "/modules")
    page.click("button:has-text('Update the list')")
    assert "1 module version(s) listed" in page.inner_text(".flash.ok")
    page.click("tr[data-repo=webprobe] button:has-text('Install')")
    assert ("Module webprobe 1.0 installed from the repository (signed by acme)."
            in page.inner_text(".flash.ok"))
    assert "signed by acme" in page.inner_text("tr[data-module=webprobe]")
    publish("1.1")
    page.click("button:has-text('Update the list')")
    assert "upgrade available" in page.inner_text("tr[data-repo=webprobe]")
    shot(page, "modules-repository")
    page.click("button:has-text('Upgrade all (1)')")
    assert "webprobe 1.1: upgraded from 1.0" in page.inner_text(".flash.ok")
    assert "1.1" in page.inner_text("tr[data-module=webprobe] td:nth-child(3)")
    assert "up to date" in page.inner_text("tr[data-repo=webprobe]")


def test_requests_explain_a_404_and_escape_the_user_agent(page: Any, server: ServerProcess
                                                          ) -> None:
    status, _ = phone_fetch(server, "/no-such-file-anywhere.cfg", ip="127.0.0.7", ua=XSS)
    assert status == 404
    go(page, "/requests?path=no-such-file&ip=127.0.0.7")
    trace = page.locator("section.trace").first
    text = trace.inner_text()
    assert "404:" in text and "127.0.0.7" in text
    assert "polycom\tproviders/polycom.php\tpass" in text  # each module asked, its decision
    skipped = trace.locator("p.hint", has_text="Not asked").inner_text()
    assert "yealink" in skipped and "cisco-spa" in skipped  # their paths never match this
    assert XSS in page.inner_text("code.ua")
    not_pwned(page)
    shot(page, "requests")
    go(page, f"/requests?mac={MAC_PRETTY}")
    assert page.locator("section.trace").count() >= 1
    assert "no-such-file" not in page.inner_text("main")


def test_csv_import_preview_then_write(page: Any) -> None:
    go(page, "/import")
    bad = ("username,fullname,extension,mac,phone_type\n"
           "bob,Bob Builder,20,00:15:65:00:00:02,yealink_t46\n"
           "carol,Carol Jones,10,zz:zz,yealink_t46\n")
    page.fill("#csv-text", bad)
    page.click("button[value=preview]")
    rows = page.locator("#preview tbody tr")
    assert rows.count() == 2
    errors = rows.nth(1).locator("td.errors").inner_text()
    assert "mac:" in errors and "extension 10 exists already" in errors
    assert "add phone 00:15:65:00:00:02" in rows.nth(0).inner_text()
    assert page.locator("button[value=apply]").count() == 0  # nothing to write while wrong
    shot(page, "import-preview")
    go(page, "/phones")
    assert page.locator("tr[data-mac='001565000002']").count() == 0
    go(page, "/import")
    page.fill("#csv-text", bad.replace("10,zz:zz", "21,00:15:65:00:00:03"))
    page.click("button[value=preview]")
    page.click("button[value=apply]")
    page.wait_for_url("**/phones")
    assert "Imported 2 row(s)." in page.inner_text(".flash.ok")
    assert page.locator("tr[data-mac='001565000003']").count() == 1
    shot(page, "phones")


def test_reload_all_stale_is_spread_over_time(page: Any, server: ServerProcess) -> None:
    mac2 = "001565000002"
    status, _ = phone_fetch(server, f"/{mac2}.cfg", ip="127.0.0.6",
                            ua="Yealink SIP-T46G 28.83.0.50 00:15:65:00:00:02")
    assert status == 200
    assert row_state(page, mac2) == "up to date"
    with api(server) as client:  # the REST API changes what the pages show: one service
        for user in ("alice", "bob"):
            assert client.patch(f"/users/{user}", json={"fullname": f"{user} again"}
                                ).status_code == 200

        def stale() -> dict[str, Any]:
            return {p["mac"]: p for p in client.get("/phones/stale").json()}

        # the automatic resync tries both at once (nobody listens: refused at once)
        deadline = time.monotonic() + 15
        while not all(stale().get(m, {}).get("resync_result") for m in (MAC, mac2)):
            assert time.monotonic() < deadline, stale()
            time.sleep(0.2)
        clicked = time.time()
        go(page, "/phones")
        assert "2 phone(s) do not have an up-to-date configuration" in page.inner_text(
            "#stale-banner")
        page.click("#stale-banner button")
        assert "Reloading 2 stale phone(s), one every 2 s." in page.inner_text(".flash.ok")
        assert "reload queued" in page.inner_text("#phones")  # the second waits its turn
        deadline = time.monotonic() + 15
        while not all((stale()[m]["resync_at"] or 0) > clicked for m in (MAC, mac2)):
            assert time.monotonic() < deadline, stale()
            time.sleep(0.2)
        first, second = sorted(stale()[m]["resync_at"] for m in (MAC, mac2))
    assert second - first >= 1.5  # spread: one phone every 2 s, not all at once


def test_phone_and_user_actions(page: Any, server: ServerProcess) -> None:
    mac3 = "001565000003"
    go(page, f"/phones/{mac3}")
    page.fill("form[action$='/password'] input[name=password]", "admin-pass-123")
    page.click("form[action$='/password'] button")
    assert "New admin password for 00:15:65:00:00:03: admin-pass-123" in page.inner_text(
        ".flash.ok")
    page.click("button:has-text('Turn credentials on')")
    assert "pending until the phone fetches" in page.inner_text(".flash.ok")
    assert "pending (user" in page.inner_text("dl.facts")
    page.click("button:has-text('Turn credentials off')")
    assert "off" in page.inner_text("dl.facts")
    with api(server) as client:  # what the page did is what the API sees
        phone = client.get(f"/phones/{mac3}").json()
        assert phone["admin_password"] == "admin-pass-123"
        assert phone["provision_auth"] == "off"
    # the extension moves to phone 1, then the phone is deleted (after its confirmation)
    go(page, "/users")
    page.fill("tr[data-line='21'] input[name=phone]", MAC_PRETTY)
    page.click("tr[data-line='21'] button:has-text('Assign')")
    assert f"Extension 21 is on {MAC_PRETTY}." in page.inner_text(".flash.ok")
    go(page, f"/phones/{mac3}")
    page.click("button:has-text('Delete phone')")
    page.wait_for_url("**/phones")
    assert ("confirm", "Delete phone 00:15:65:00:00:03? Its lines stay, without a phone."
            ) in page.dialogs
    assert page.locator(f"tr[data-mac='{mac3}']").count() == 0
    go(page, "/users")
    page.click("tr[data-line='21'] button:has-text('Delete')")
    assert "Extension 21 deleted." in page.inner_text(".flash.ok")
    page.click("tr[data-user=carol] button:has-text('Delete')")
    assert "User carol deleted." in page.inner_text(".flash.ok")
    shot(page, "users")
    page.fill("form[action='/lines/add'] input[name=telnum]", "12a")
    page.click("form[action='/lines/add'] button")
    assert "extension: expected a dialable number" in page.inner_text(".flash.error")


def test_firmware_packages_are_listed_and_installed_through_the_service(page: Any) -> None:
    go(page, "/firmware")
    row = "tr[data-package='cisco-spa/spa30x-50x-7.6.2sr7']"
    assert "UNVERIFIED" in page.inner_text(row)
    page.click(f"{row} button")  # unverified, and the box is not ticked: refused
    assert "is unverified" in page.inner_text(".flash.error")
    page.fill(f"{row} input[name=from]", "file:///etc/passwd")
    page.click(f"{row} button")
    assert "only an http(s) URL" in page.inner_text(".flash.error")
    shot(page, "firmware-packages")


def test_upload_without_verification_needs_its_confirmation(page: Any, tmp_path: Path
                                                            ) -> None:
    go(page, "/firmware")
    row = "tr[data-slot='cisco-spa/logo_color']"
    logo = tmp_path / "wide.png"
    logo.write_bytes(png(64, 64))
    page.set_input_files(f"{row} input[type=file]", str(logo))
    page.click(f"{row} button.fw-upload-noverify")
    dialog = page.locator("#noverify-dialog")
    dialog.wait_for(state="visible")
    assert "A wrong firmware can leave phones" in dialog.inner_text()
    page.click("#noverify-cancel")
    assert "empty" in page.inner_text(row)  # nothing was sent
    page.click(f"{row} button.fw-upload-noverify")
    with page.expect_navigation():
        page.click("#noverify-confirm")
    assert "not verified (overridden)" in page.inner_text(row)


def test_a_large_office_stays_under_300_kb_per_page(page: Any, server: ServerProcess
                                                    ) -> None:
    """300 users, phones and extensions in one import: every page stays small (pages of
    100, no list of more than 200 choices), and the import is one preview and one write."""
    n = 300
    text = "username,fullname,extension,mac,phone_type\n" + "".join(
        f"user{i},User Number {i},{1000 + i},0015651{i:05d},yealink_t46\n" for i in range(n))
    go(page, "/import")
    page.fill("#csv-text", text)
    page.click("button[value=preview]")
    assert page.locator("#preview tbody tr.good").count() == n
    page.click("button[value=apply]")
    page.wait_for_url("**/phones")
    assert f"Imported {n} row(s)." in page.inner_text(".flash.ok")
    long_ua = "Mozilla/5.0 " + "x" * 8000  # peers choose how long their text is
    assert set(phone_fetch_many(server, [f"/nothing-{i}.cfg" for i in range(45)],
                                ip="127.0.0.10", ua=long_ua)) == {404}
    for path in ("/phones", "/phones?page=5&sort=lines", "/users", "/users?lpage=3",
                 "/requests", "/modules", "/firmware", "/settings"):
        go(page, path)  # asserts the 300 KB bound
    with api(server) as client:
        total = len(client.get("/phones").json())
    assert total >= n
    go(page, "/phones?page=2")
    assert f"{total} phones, page 2 of {-(-total // 100)}" in page.inner_text("nav.pager")
    assert page.locator("tr[data-mac]").count() == 100


def test_scan_guard_throttle_shown_with_time_left(page: Any, server: ServerProcess) -> None:
    """A MAC scanner (20 MACs nobody knew, from one address) appears on the Requests page
    with the seconds its throttle has left."""
    statuses = phone_fetch_many(server, [f"/0004f27{i:05d}.cfg" for i in range(21)],
                                ip="127.0.0.9", ua="scanner")
    assert statuses[-1] == 429 and 429 not in statuses[:20]
    go(page, "/requests?ip=127.0.0.9")
    row = page.locator("#throttled tr", has_text="127.0.0.9")
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "127.0.0.9" and cells[2] == "1"
    assert 290 <= int(cells[1].removesuffix(" s")) <= 300
    assert "mac-scan throttle, retry after" in page.inner_text("section.trace.throttled")
    shot(page, "requests-throttled")


def test_state_changing_request_without_csrf_token_is_refused(page: Any, server: ServerProcess
                                                              ) -> None:
    url = f"{server.base}/users/add"
    r = page.request.post(url, form={"username": "mallory", "fullname": "M"},
                          max_redirects=0)
    assert r.status == 403 and "CSRF" in r.text()
    r = page.request.post(url, form={"username": "mallory", "fullname": "M", "csrf": "guess"},
                          max_redirects=0)
    assert r.status == 403
    token = page.get_attribute("body", "data-csrf")
    r = page.request.post(url, form={"username": "mallory", "fullname": "M", "csrf": token},
                          headers={"Origin": "http://evil.example"}, max_redirects=0)
    assert r.status == 403 and "cross-site" in r.text()
    go(page, "/users?q=mallory")
    assert page.locator("tr[data-user=mallory]").count() == 0
    go(page, "/users?q=User Number 7")  # the filter finds users and their extensions
    assert page.locator("tr[data-user=user7]").count() == 1
    assert page.locator("tr[data-line='1007']").count() == 1
    assert page.locator("tr[data-user=user8]").count() == 0
    # the REST API keeps its bearer token and is not affected by sessions
    with api(server) as client:
        assert client.get("/users").status_code == 200
        assert httpx.get(f"{server.base}/api/v1/users").status_code == 401
    # security headers on every page
    r = page.request.get(f"{server.base}/phones")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    cookie = next(c for c in page.context.cookies() if c["name"] == "provhost_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_account_page(page: Any, server: ServerProcess) -> None:
    go(page, "/account")
    page.fill("input[name=current]", "wrong-password-here")
    page.fill("input[name=new]", "a-new-password-1")
    page.fill("input[name=again]", "a-new-password-1")
    page.click("button:has-text('Change password')")
    assert "current password is wrong" in page.inner_text(".flash.error")
    shot(page, "account")
    initial = (server.data_dir / "web-admin-password").read_text().strip()
    page.fill("input[name=current]", initial)
    page.fill("input[name=new]", NEW_PASSWORD)
    page.fill("input[name=again]", NEW_PASSWORD)
    page.click("button:has-text('Change password')")
    assert "Password changed; other browsers were logged out." in page.inner_text(".flash.ok")
    assert "generated administrator password" not in page.inner_text("main")
    assert not (server.data_dir / "web-admin-password").exists()  # only the hash is left
    assert NEW_PASSWORD not in (server.data_dir / "web-admin.scrypt").read_text()


def test_log_out_ends_the_session_on_the_server(page: Any, server: ServerProcess) -> None:
    old = next(c for c in page.context.cookies() if c["name"] == "provhost_session")
    go(page, "/phones")
    page.click("nav button:has-text('Log out')")
    page.wait_for_url("**/login")
    go(page, "/phones")
    assert page.url.endswith("/login")
    page.context.add_cookies([old])  # a stolen copy of the cookie is worth nothing now
    r = page.request.get(f"{server.base}/phones", max_redirects=0)
    assert r.status == 303 and r.headers["location"] == "/login"


def test_five_wrong_passwords_are_throttled(browser: Any, server: ServerProcess, page: Any
                                            ) -> None:
    context = browser.new_context(base_url=server.base)
    pg = context.new_page()
    try:
        go(pg, "/login")
        for _ in range(5):
            pg.fill("input[name=password]", "not-the-password")
            pg.click("button[type=submit]")
            assert "Wrong password." in pg.inner_text(".flash.error")
        pg.fill("input[name=password]", NEW_PASSWORD)  # right, but too late
        pg.click("button[type=submit]")
        assert "Too many wrong passwords" in pg.inner_text(".flash.error")
        assert pg.url.endswith("/login")
        shot(pg, "login-throttled")
    finally:
        context.close()
    log = server.log()
    assert log.count("provhost: web login failed from 127.0.0.1\n") == 5
    assert ("provhost.web.auth: provhost: web login failures from 127.0.0.1: 5 wrong "
            "passwords in 300s; throttled for 300s\n") in log  # the fail2ban line
