"""The management API over real HTTP: auth, the service operations, traces, OpenAPI."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Running, curl

# the store behind these servers: SQLite and PostgreSQL
pytestmark = pytest.mark.both_backends

MAC = "0004f2000077"


def _client(server: Running, token: str | None = None) -> httpx.AsyncClient:
    if token is None:
        token = (server.svc.paths.data_dir / "api-token").read_text().strip()
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.ports.api}/api/v1",
                             headers={"Authorization": f"Bearer {token}"}, timeout=20)


async def test_token_is_required(server: Running) -> None:
    async with _client(server, token="wrong") as api:
        r = await api.get("/modules")
        assert r.status_code == 401 and "token" in r.json()["error"]
        spec = await api.get("/openapi.json")  # the description itself is public
        assert spec.status_code == 200


async def test_phone_lines_and_traces_through_the_api(server: Running) -> None:
    async with _client(server) as api:
        assert (await api.post("/users", json={"username": "bob", "fullname": "Bob B"})).status_code == 201
        r = await api.post("/phones", json={"mac": MAC, "phone_type": "spa502g"})
        assert r.status_code == 201, r.text
        r = await api.post("/lines", json={"telnum": "21", "user": "bob", "phone": MAC})
        assert r.status_code == 201, r.text
        sip_user = r.json()["sip_username"]
        status, body = await curl(server.url(f"/Cisco/SPA502G/{MAC}.cfg"))
        assert status == 200 and sip_user.encode() in body
        traces = (await api.get("/traces", params={"limit": 5})).json()
        newest = traces[0]
        assert newest["path"] == f"/Cisco/SPA502G/{MAC}.cfg"
        assert newest["answered_by"] == "cisco-spa" and newest["phone"] == MAC
        # yealink declares (info `paths`) that it never answers /Cisco/... : not asked
        assert [s["module"] for s in newest["steps"]] == ["cisco-spa"]
        r = await api.patch("/users/bob", json={"fullname": "Robert B"})
        assert r.json()["fullname"] == "Robert B"
        assert (await api.get(f"/phones/{MAC}/lines")).json()[0]["telnum"] == "21"


async def test_disabling_a_module_takes_it_out_of_the_running_chain(server: Running) -> None:
    async with _client(server) as api:
        status, _ = await curl(server.url(f"/Cisco/SPA504G/{MAC}.cfg"))
        assert status == 200
        r = await api.post("/modules/cisco-spa/disable")
        assert r.status_code == 200 and r.json()["enabled"] is False
        status, _ = await curl(server.url(f"/Cisco/SPA504G/{MAC}.cfg"))
        assert status == 404
        await api.post("/modules/cisco-spa/enable")
        status, _ = await curl(server.url(f"/Cisco/SPA504G/{MAC}.cfg"))
        assert status == 200
        r = await api.put("/modules/polycom/sequence", json={"sequence": "3"})
        assert r.json()["sequence"] == "3"
        ids = [m["id"] for m in (await api.get("/modules")).json()]
        assert ids.index("polycom") < ids.index("yealink")


async def test_refusals_are_clear(server: Running) -> None:
    async with _client(server) as api:
        r = await api.delete("/modules/cisco-spa")
        assert r.status_code == 400 and "bundled" in r.json()["error"]
        r = await api.get("/phones/001122334455")
        assert r.status_code == 404 and "no phone" in r.json()["error"]
        r = await api.put("/settings/OPERATOR_IP", json={"value": "nope"})
        assert r.status_code == 400 and "expected an IP address" in r.json()["error"]
        r = await api.post("/phones", content=b"{not json")
        assert r.status_code == 400 and "JSON" in r.json()["error"]
        assert (await api.delete("/phones")).status_code == 405
        assert (await api.get("/nowhere")).status_code == 404
        r = await api.post("/modules", content=b"not a zip")
        assert r.status_code == 400


async def test_openapi_lists_every_route(server: Running) -> None:
    async with _client(server) as api:
        spec = (await api.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    assert "post" in spec["paths"]["/api/v1/modules"]
    assert "put" in spec["paths"]["/api/v1/lines/{telnum}/phone"]
    assert spec["paths"]["/api/v1/phones/{mac}"]["get"]["parameters"][0]["name"] == "mac"
