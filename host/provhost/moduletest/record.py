"""`provhost module record`: turn a phone's real traffic into a boot-sequence file.

Two sources, both made into the same JSON document (pure functions; the CLI does the I/O):
* the server's own request traces (the management API's /api/v1/traces, or a file saved
  from it or from `provhost --json request`): each trace knows the protocol, path, method,
  User-Agent, what the chain answered, which module answered and for which phone type;
* a packet capture, as the tab-separated fields of `tshark -T fields` (the command is in
  docs/module-testing.md): requests only, since a capture's answers are not correlated
  here; every step expects what a working phone gets (served, or upload_accepted for an
  upload) and says so in a note for the author to check.

Recorded sequences carry only checks the traffic proves (expect, module, phone_type); the
author adds content checks (contains, parse, ...).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from provhost.moduletest.sequence import check_sequence

_EXPECT = {"served": "served", "ok": "served", "notfound": "not_found",
           "stored": "upload_accepted", "refused": "refused", "rejected": "refused",
           "unauthorized": "refused"}
UPLOAD_PLACEHOLDER = "recorded upload: replace with a sample of what the phone sends\n"


class RecordError(ValueError):
    """The traffic cannot be made into a sequence; the message says why."""


def load_traces(text: str) -> list[dict[str, Any]]:
    """Traces from a file: the API's list, one trace, or `provhost --json request` output."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise RecordError(f"not JSON: {e}") from None
    items = doc if isinstance(doc, list) else [doc]
    out = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("trace"), dict):
            item = item["trace"]  # `provhost --json request PATH`
        if not isinstance(item, dict) or "path" not in item or "proto" not in item:
            raise RecordError("expected request traces (objects with proto, path, client, "
                              "status), as GET /api/v1/traces returns them")
        out.append(item)
    return out


def pick_client(clients: list[str], wanted: str | None) -> str:
    """The phone address to record: the one asked for, or the only one seen."""
    counts = Counter(clients)
    if wanted is not None:
        if wanted not in counts:
            raise RecordError(f"no request from {wanted}; seen: {_seen(counts)}")
        return wanted
    if len(counts) != 1:
        raise RecordError(f"requests from several addresses, choose one with --client: "
                          f"{_seen(counts)}" if counts else "no requests to record")
    return next(iter(counts))


def _seen(counts: Counter[str]) -> str:
    return ", ".join(f"{ip} ({n})" for ip, n in counts.most_common()) or "none"


def _finish(doc: dict[str, Any]) -> dict[str, Any]:
    if not doc["steps"]:
        raise RecordError("nothing to record: no request of that address had a clear answer")
    _, problems = check_sequence(json.dumps(doc).encode(), "recorded.json")
    if problems:  # a bug here, not the author's: say so plainly
        raise RecordError("the recorded sequence does not validate: "
                          + "; ".join(str(p) for p in problems))
    return doc


def from_traces(traces: list[dict[str, Any]], client: str | None = None, *,
                lines: dict[str, list[str]] | None = None,
                description: str = "") -> dict[str, Any]:
    """A sequence document from request traces (any order; newest first is fine).

    `lines`: telephone numbers per MAC of the phones the traces name, to put them on the
    phone in `setup` as they were (a phone the module created during the traffic gets none:
    it did not exist before)."""
    ip = pick_client([str(t.get("client", "")) for t in traces], client)
    mine = sorted((t for t in traces if t.get("client") == ip),
                  key=lambda t: float(t.get("started", 0)))
    setup: list[list[str]] = []
    steps: list[dict[str, Any]] = []
    skipped: list[str] = []
    known: set[str] = set()
    for t in mine:
        expect = _EXPECT.get(str(t.get("status")))
        proto, path = str(t["proto"]), str(t["path"])
        method = str(t.get("method") or "GET").upper()
        method = "GET" if method == "HEAD" else method
        if expect is None or method not in ("GET", "PUT", "POST"):
            skipped.append(f"{proto} {method} {path} ({t.get('status')})")
            continue
        step: dict[str, Any] = {"proto": proto, "path": path}
        if method != "GET":
            step["method"] = method
            step["body"] = UPLOAD_PLACEHOLDER
        ua = t.get("user_agent") or ""
        if ua and proto in ("http", "https"):
            step["user_agent"] = ua
        step["expect"] = expect
        if t.get("answered_by"):
            step["module"] = t["answered_by"]
        mac, ptype = t.get("phone"), t.get("phone_type")
        if ptype and expect == "served":
            step["phone_type"] = ptype
        if mac and ptype and mac not in known:
            known.add(mac)
            if not t.get("phone_created"):
                setup.append(["phone", "add", mac, ptype])
                setup += [["line", "add", n, "--phone", mac] for n in (lines or {}).get(mac, [])]
        steps.append(step)
    doc: dict[str, Any] = {
        "description": description or f"recorded from the request traces of {ip}",
        "setup": setup, "steps": steps}
    if skipped:
        doc["_skipped"] = ("requests without a clear answer (server busy or failing), not "
                           "recorded: " + "; ".join(skipped))
    return _finish(doc)


# tshark -T fields -E separator=/t, in this order (docs/module-testing.md):
TSHARK_FIELDS = ("frame.time_epoch", "ip.src", "tftp.opcode", "tftp.source_file",
                 "tftp.destination_file", "http.request.method", "http.request.uri",
                 "http.user_agent")


def from_tshark(text: str, client: str | None = None, *, description: str = "") -> dict[str, Any]:
    """A sequence document from `tshark -T fields` output (TSHARK_FIELDS, tab-separated)."""
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) < len(TSHARK_FIELDS):
            cells += [""] * (len(TSHARK_FIELDS) - len(cells))
        row = dict(zip(TSHARK_FIELDS, cells, strict=False))
        try:
            row["t"] = float(row["frame.time_epoch"] or 0)
        except ValueError:
            raise RecordError(f"line {n}: not the fields of the documented tshark command "
                              f"({', '.join(TSHARK_FIELDS)})") from None
        rows.append(row)
    requests = [r for r in rows if r["tftp.opcode"] in ("1", "2") or r["http.request.method"]]
    ip = pick_client([r["ip.src"] for r in requests], client)
    steps: list[dict[str, Any]] = []
    for r in sorted((r for r in requests if r["ip.src"] == ip), key=lambda r: r["t"]):
        if r["tftp.opcode"] == "1":
            step: dict[str, Any] = {"proto": "tftp", "path": _slash(r["tftp.source_file"])}
        elif r["tftp.opcode"] == "2":
            step = {"proto": "tftp", "method": "PUT",
                    "path": _slash(r["tftp.destination_file"]), "body": UPLOAD_PLACEHOLDER}
        else:
            method = r["http.request.method"].upper()
            if method not in ("GET", "PUT", "POST"):
                continue
            uri = r["http.request.uri"].split("?", 1)[0]
            if "://" in uri:  # a proxy-style absolute URI: keep its path
                uri = "/" + uri.split("://", 1)[1].partition("/")[2]
            step = {"proto": "http", "path": uri}
            if method != "GET":
                step |= {"method": method, "body": UPLOAD_PLACEHOLDER}
            if r["http.user_agent"]:
                step["user_agent"] = r["http.user_agent"]
        step["expect"] = "served" if step.get("method", "GET") == "GET" else "upload_accepted"
        step["comment"] = "from a capture: check the expectation"
        steps.append(step)
    return _finish({"description": description or f"recorded from a capture of {ip}",
                    "setup": [], "steps": steps})


def _slash(path: str) -> str:
    return path if path.startswith("/") else "/" + path
