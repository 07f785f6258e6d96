"""The I/O of `provhost module record`: read traces (from the running server's API or a file)
or tshark output, write the sequence (provhost.moduletest.record does the conversion)."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

from provhost.moduletest.record import RecordError, from_traces, from_tshark, load_traces
from provhost.server.api_app import PREFIX
from provhost.service import Service, ServiceError


def _api_get(base: str, token: str, path: str) -> Any:
    url = urllib.parse.urlsplit(base)
    if url.scheme != "http" or not url.hostname:
        raise ServiceError(f"--api must be an http:// URL, got {base!r}")
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=10)
    try:
        conn.request("GET", PREFIX + path, headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        data = resp.read()
    except OSError as e:
        raise ServiceError(f"cannot reach the API at {base}: {e} (is `provhost serve` "
                           "running? --api says where)") from None
    finally:
        conn.close()
    if resp.status != 200:
        raise ServiceError(f"API {path}: HTTP {resp.status}: {data[:200].decode(errors='replace')}")
    return json.loads(data)


def _lines_by_phone(svc: Service, traces: list[dict[str, Any]], api: tuple[str, str] | None
                    ) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for mac in {t["phone"] for t in traces if t.get("phone")}:
        try:
            rows = (_api_get(*api, f"/phones/{mac}/lines") if api is not None
                    else svc.line_list(mac))
        except ServiceError:
            continue  # the phone is gone (or was never here): no lines to put back
        out[mac] = [str(r["telnum"]) for r in rows]
    return out


def run(svc: Service, a: argparse.Namespace) -> Any:
    try:
        if a.from_tshark:
            doc = from_tshark(Path(a.from_tshark).read_text(), a.client,
                              description=a.description)
        else:
            api = None
            if a.from_traces == "api":
                port = os.environ.get("PROVHOST_API_PORT", "8081")
                base = a.api or f"http://127.0.0.1:{port}"
                token_file = svc.paths.data_dir / "api-token"
                if not token_file.is_file():
                    raise ServiceError(f"no API token in {svc.paths.data_dir} (give the server's "
                                       "--data-dir)")
                api = (base, token_file.read_text().strip())
                traces = load_traces(json.dumps(_api_get(*api, "/traces?limit=500")))
            else:
                traces = load_traces(Path(a.from_traces).read_text())
            doc = from_traces(traces, a.client, lines=_lines_by_phone(svc, traces, api),
                              description=a.description)
    except RecordError as e:
        raise ServiceError(str(e)) from None
    text = json.dumps(doc, indent=2) + "\n"
    if a.output:
        Path(a.output).write_text(text)
        return {"written": a.output, "steps": len(doc["steps"]), "setup": len(doc["setup"])}
    return doc if a.json else text.rstrip("\n")
