"""A real repository on a loopback HTTP server, driven through the real CLI: publish to
testing, install from it, bump and upgrade, promote, archive; the family rule; and every
way a repository or the path to it can lie (each a clear error, installed modules untouched).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CLI = str(Path(__file__).parents[2] / ".venv/bin/provhost")


@dataclass
class Behaviour:
    mode: str = "normal"  # normal | 404 | 500 | garbage | slow
    hits: list[str] = field(default_factory=list)


class _Handler(SimpleHTTPRequestHandler):
    behaviour: Behaviour

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        b = self.behaviour
        b.hits.append(self.path)
        if b.mode == "404":
            self.send_error(404)
        elif b.mode == "500":
            self.send_error(500)
        elif b.mode == "garbage":
            body = b"<html>this is not an index</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif b.mode == "slow":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            time.sleep(3)
        else:
            super().do_GET()


@dataclass
class World:
    tmp: Path
    repo: Path
    key: Path
    data: Path
    url: str
    behaviour: Behaviour

    def cli(self, *args: str, data: Path | None = None, ok: bool = True
            ) -> subprocess.CompletedProcess[str]:
        r = subprocess.run([CLI, "--data-dir", str(data or self.data), *args],
                           capture_output=True, text=True, timeout=120, check=False)
        if ok:
            assert r.returncode == 0, f"{args}: {r.stdout}{r.stderr}"
        return r

    def module(self, name: str, version: str, marker: str = "v") -> Path:
        """A tiny module directory answering /<name>.txt with `marker`."""
        root = self.tmp / "src" / name
        if root.exists():
            shutil.rmtree(root)
        (root / "providers").mkdir(parents=True)
        (root / "templates").mkdir()
        (root / "info").write_text(f"[module]\nid = {name}\nname = Probe {name}\n"
                                   f"version = {version}\ndescription = a probe for tests\n")
        (root / "phone_types").write_text(f'{name}_phone 1 "Probe phone"\n')
        (root / "providers/p.php").write_text(
            f"<?php if ($PATH === '/{name}.txt') {{ sendTemplate('t'); }}\n")
        (root / "templates/t.tpl").write_text(f"{marker}\n")
        return root

    def zip(self, root: Path) -> Path:
        out = self.tmp / f"{root.name}-{time.monotonic_ns()}.zip"
        with zipfile.ZipFile(out, "w") as z:
            for p in sorted(root.rglob("*")):
                if p.is_file():
                    z.write(p, p.relative_to(root).as_posix())
        return out

    def publish(self, root: Path, channel: str = "testing", ok: bool = True
                ) -> subprocess.CompletedProcess[str]:
        return self.cli("repo", "publish", str(self.repo), "--channel", channel, "--key",
                        str(self.key), str(self.zip(root)), ok=ok)

    def installed(self) -> dict[str, dict]:
        rows = json.loads(self.cli("--json", "module", "list").stdout)
        return {r["id"]: r for r in rows if r["kind"] == "addon"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    tmp_path.chmod(0o755)
    repo, data, key = tmp_path / "repo", tmp_path / "data", tmp_path / "repo.key"
    behaviour = Behaviour()
    handler = type("H", (_Handler,), {"behaviour": behaviour})
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(handler, directory=str(repo)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    w = World(tmp_path, repo, key, data, f"http://127.0.0.1:{server.server_address[1]}/",
              behaviour)
    pub = w.cli("--json", "module", "keygen", "-o", str(key))
    public = json.loads(pub.stdout)["public_key"]
    init = json.loads(w.cli("--json", "repo", "init", str(repo), "--name", "acme",
                            "--key", str(key)).stdout)
    assert init["public_key"] == public
    w.cli("module", "trust", "acme", public)
    for name, value in (("MODULE_REPOSITORY", w.url), ("MODULE_CHANNEL", "testing"),
                        ("MODULE_REPOSITORY_KEY", "acme")):
        w.cli("settings", "set", name, value)
    try:
        yield w
    finally:
        server.shutdown()
        server.server_close()


def test_publish_install_bump_upgrade_promote_archive(world: World) -> None:
    w = world
    src = w.module("probe", "0.4", "first")
    w.publish(src)
    refused = w.publish(src, ok=False)  # the same version again
    assert refused.returncode == 1 and "already has 0.4" in refused.stderr
    assert json.loads(w.cli("--json", "module", "update").stdout)["modules"] == 1
    (row,) = json.loads(w.cli("--json", "module", "search", "probe").stdout)
    assert (row["version"], row["installed"], row["upgrade"]) == ("0.4", None, False)
    w.cli("module", "install", "probe")
    assert w.installed()["probe"]["version"] == "0.4"
    assert w.installed()["probe"]["signed_by"] == "acme"  # publish signed it
    body = json.loads(w.cli("--json", "request", "/probe.txt", "--body").stdout)["body"]
    assert body == "first\n"

    # the author's loop: change, bump, publish to testing, upgrade
    (src / "templates/t.tpl").write_text("second\n")
    bumped = json.loads(w.cli("--json", "module", "bump", str(src)).stdout)
    assert (bumped["old"], bumped["new"]) == ("0.4", "0.4.01")
    w.publish(src)
    w.cli("module", "update")
    (row,) = json.loads(w.cli("--json", "module", "search").stdout)
    assert (row["version"], row["installed"], row["upgrade"]) == ("0.4.01", "0.4", True)
    upgraded = json.loads(w.cli("--json", "module", "upgrade", "--all").stdout)
    assert upgraded == [{"id": "probe", "version": "0.4.01",
                         "result": "upgraded from 0.4"}]
    body = json.loads(w.cli("--json", "request", "/probe.txt", "--body").stdout)["body"]
    assert body == "second\n"
    w.cli("module", "install", "probe==0.4", "--force")  # an exact older version
    assert w.installed()["probe"]["version"] == "0.4"

    # promote to stable, then retire to archive
    w.cli("repo", "promote", str(w.repo), "probe", "0.4.01", "--key", str(w.key))
    stable = json.loads(w.cli("--json", "repo", "list", str(w.repo), "--channel",
                              "stable").stdout)
    assert [(r["id"], r["version"]) for r in stable] == [("probe", "0.4.01")]
    w.cli("settings", "set", "MODULE_CHANNEL", "stable")
    w.cli("module", "update")
    w.cli("module", "upgrade", "probe")
    assert w.installed()["probe"]["version"] == "0.4.01"
    w.cli("repo", "archive", str(w.repo), "probe", "--key", str(w.key))
    listing = json.loads(w.cli("--json", "repo", "list", str(w.repo)).stdout)
    assert {(r["channel"], r["version"]) for r in listing} == {("archive", "0.4"),
                                                                ("archive", "0.4.01")}


def test_family_build_refuses_unbumped_models_after_common_changed(world: World) -> None:
    w = world
    fam = w.tmp / "acme-family"
    (fam / "common/providers").mkdir(parents=True)
    (fam / "common/templates").mkdir()
    (fam / "common/providers/p.php").write_text("<?php sendTemplate('t');\n")
    (fam / "common/templates/t.tpl").write_text("common 1\n")
    for model in ("m100", "m200"):
        (fam / model).mkdir()
        (fam / model / "info").write_text(f"id = acme-{model}\nname = Acme {model}\n"
                                          "version = 1.0\n")
        (fam / model / "phone_types").write_text(f'{model} 2 "Acme {model}"\n')
    out = w.tmp / "built"
    built = json.loads(w.cli("--json", "repo", "build", str(fam), "-o", str(out), "--repo",
                             str(w.repo)).stdout)
    assert sorted(b["id"] for b in built) == ["acme-m100", "acme-m200"]
    w.cli("repo", "publish", str(w.repo), "--key", str(w.key),
          *[b["zip"] for b in built])
    (fam / "common/templates/t.tpl").write_text("common 2\n")  # common changed
    w.cli("module", "bump", str(fam / "m100"))
    refused = w.cli("repo", "build", str(fam), "-o", str(out), "--repo", str(w.repo),
                    ok=False)
    assert refused.returncode == 1
    assert "common/ changed" in refused.stderr and "acme-m200 (still 1.0" in refused.stderr
    assert "acme-m100" not in refused.stderr.split("bump`):")[1]
    w.cli("module", "bump", str(fam / "m200"))
    w.cli("repo", "build", str(fam), "-o", str(out), "--repo", str(w.repo))


def _save(w: World) -> tuple[bytes, bytes]:
    d = w.repo / "plugins/1/testing"
    return (d / "index.json").read_bytes(), (d / "index.json.sig").read_bytes()


def _restore(w: World, saved: tuple[bytes, bytes]) -> None:
    d = w.repo / "plugins/1/testing"
    (d / "index.json").write_bytes(saved[0])
    (d / "index.json.sig").write_bytes(saved[1])


def test_lying_repositories_are_refused_and_nothing_installed_changes(world: World) -> None:
    w = world
    w.publish(w.module("probe", "1.0"))
    old = _save(w)
    w.publish(w.module("probe", "1.1"))
    w.cli("module", "update")
    w.cli("module", "install", "probe")
    good = w.installed()["probe"]

    def refused(fragment: str, *args: str) -> None:
        r = w.cli(*(args or ("module", "update")), ok=False)
        assert r.returncode == 1, r.stdout
        assert fragment in r.stderr, r.stderr
        errors = [x for x in r.stderr.splitlines() if x.startswith("provhost: error:")]
        assert len(errors) == 1, r.stderr  # one clear line
        assert w.installed()["probe"] == good

    current = _save(w)
    _restore(w, old)  # an attacker replays the older, validly signed index
    refused("older than serial")
    _restore(w, (current[0].replace(b'"1.1"', b'"9.9"'), current[1]))  # tampered
    refused("signature does not verify")
    _restore(w, current)
    w.cli("repo", "refresh", str(w.repo), "--channel", "testing", "--days", "-1",
          "--key", str(w.key))
    refused("expired")
    w.cli("repo", "refresh", str(w.repo), "--channel", "testing", "--key", str(w.key))
    w.cli("module", "update")
    # a zip changed on the server after publishing
    w.publish(w.module("probe", "1.2"))
    w.cli("module", "update")
    zip_path = w.repo / "plugins/1/testing/probe-1.2.zip"
    data = bytearray(zip_path.read_bytes())
    data[-30] ^= 0xFF
    zip_path.write_bytes(bytes(data))
    refused("does not match the index", "module", "upgrade", "probe")
    # a key the administrator does not trust for this repository
    other = w.tmp / "other.key"
    pub = json.loads(w.cli("--json", "module", "keygen", "-o", str(other)).stdout)
    w.cli("module", "trust", "other", pub["public_key"])
    w.cli("settings", "set", "MODULE_REPOSITORY_KEY", "other")
    refused("does not verify")
    w.cli("settings", "set", "MODULE_REPOSITORY_KEY", "acme")
    for mode, fragment in (("404", "HTTP 404"), ("500", "HTTP 500"),
                           ("garbage", "does not verify")):
        w.behaviour.mode = mode
        refused(fragment)
    w.behaviour.mode = "normal"


def test_module_cache_off_fetches_again(world: World) -> None:
    w = world
    w.publish(w.module("probe", "1.0"))
    w.cli("module", "update")
    zips = lambda: [h for h in w.behaviour.hits if h.endswith(".zip")]  # noqa: E731
    w.cli("module", "install", "probe")
    w.cli("module", "install", "probe", "--force")
    assert len(zips()) == 1  # the second install reused the cached zip
    w.cli("settings", "set", "MODULE_CACHE", "off")
    w.cli("module", "install", "probe", "--force")
    w.cli("module", "install", "probe", "--force")
    assert len(zips()) == 3  # fetched again each time


async def test_running_server_installs_from_the_repository_through_the_api(
        world: World, nursery) -> None:  # type: ignore[no-untyped-def]
    import httpx
    from provhost.paths import SOURCE_ROOT, Paths
    from provhost.server.main import ServerConfig, serve_all
    from provhost.service import Service

    w = world
    w.publish(w.module("probe", "2.0", "from the repository"))
    svc = Service(Paths(data_dir=w.data, bundled_dir=SOURCE_ROOT / "modules"))
    cfg = ServerConfig(listen="127.0.0.1", http_port=0, tftp_port=0, api_port=0,
                       ftp_port=None, http_read_timeout=1.0)
    ports = await nursery.start(serve_all, svc, cfg)
    token = (w.data / "api-token").read_text().strip()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports.api}/api/v1",
                                 headers={"Authorization": f"Bearer {token}"},
                                 timeout=60) as api:
        r = await api.post("/repository/update")
        assert r.status_code == 200 and r.json()["modules"] == 1, r.text
        (row,) = (await api.get("/repository/modules", params={"q": "probe"})).json()
        assert row["version"] == "2.0" and row["installed"] is None
        r = await api.post("/repository/modules/probe/install", json={})
        assert r.status_code == 200, r.text
        async with httpx.AsyncClient() as phone:
            got = await phone.get(f"http://127.0.0.1:{ports.http}/probe.txt")
        assert got.status_code == 200 and got.text == "from the repository\n"
        r = await api.post("/repository/modules/nope/install", json={})
        assert r.status_code in (400, 409, 422) and "no module 'nope'" in r.text
