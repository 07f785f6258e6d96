"""`provhost module record`: real traffic to a scratch server becomes a sequence that
`module test` then passes (round trip); tshark field output; clear refusals."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import trio
from provhost.moduletest import clients, record_cli
from provhost.moduletest.record import (
    UPLOAD_PLACEHOLDER,
    RecordError,
    from_traces,
    from_tshark,
    load_traces,
)
from provhost.moduletest.runner import run_module_tests
from provhost.moduletest.scratch import scratch_server

ACME = Path(__file__).parent / "fixtures" / "acme"
PROVHOST = Path(sys.executable).with_name("provhost")
PHONE = "127.0.0.77"
OTHER = "127.0.0.78"


async def _boot_a_phone() -> tuple[list[dict], dict[str, list[str]], dict]:
    """An Acme booting against a scratch server, and another phone beside it; the traces,
    the phone's lines, and what `module record --from-traces` makes of it through the API."""
    async with scratch_server(ACME, "native", as_bundled=False) as s:
        s.svc.phone_add("0a0000000005", "acme_a", "acme")
        s.svc.line_add("50", phone="0a0000000005")
        s.svc.line_add("51", phone="0a0000000005")
        t = s.target
        assert (await clients.tftp_get(t, PHONE, "/acme-hello.cfg")).result == "not_found"
        assert (await clients.tftp_get(t, PHONE, "/0a0000000005.xml")).result == "served"
        assert (await clients.http_request(t, False, PHONE, "GET", "/0a0000000006.xml",
                                           "Acme generic 2.0")).result == "served"
        assert (await clients.http_request(t, False, PHONE, "PUT", "/0a0000000005-log.txt",
                                           "", b"log\n")).result == "upload_accepted"
        assert (await clients.tftp_get(t, OTHER, "/nothing.cfg")).result == "not_found"
        traces = await trio.to_thread.run_sync(s.api, "GET", "/traces?limit=500")
        lines = {"0a0000000005": [r["telnum"] for r in s.svc.line_list("0a0000000005")]}
        args = argparse.Namespace(from_tshark=None, from_traces="api", client=PHONE,
                                  api=f"http://127.0.0.1:{s.api_port}", description="",
                                  output=None, json=True)
        via_api = await trio.to_thread.run_sync(record_cli.run, s.svc, args)
    return traces, lines, via_api


async def test_recorded_traces_replay_green(tmp_path: Path) -> None:
    traces, lines, via_api = await _boot_a_phone()
    with pytest.raises(RecordError, match=r"several addresses.*127\.0\.0\.77 \(4\)"):
        from_traces(traces)
    doc = from_traces(traces, PHONE, lines=lines)
    assert doc["setup"] == [["phone", "add", "0a0000000005", "acme_a"],
                            ["line", "add", "50", "--phone", "0a0000000005"],
                            ["line", "add", "51", "--phone", "0a0000000005"]]
    assert doc["steps"] == [
        {"proto": "tftp", "path": "/acme-hello.cfg", "expect": "not_found", "module": "acme"},
        {"proto": "tftp", "path": "/0a0000000005.xml", "expect": "served", "module": "acme",
         "phone_type": "acme_a"},
        # the module created this phone itself (the marker made it an A): not in setup
        {"proto": "http", "path": "/0a0000000006.xml", "user_agent": "Acme generic 2.0",
         "expect": "served", "module": "acme", "phone_type": "acme_a"},
        {"proto": "http", "path": "/0a0000000005-log.txt", "method": "PUT",
         "body": UPLOAD_PLACEHOLDER, "expect": "upload_accepted", "module": "acme"},
    ]
    assert via_api == doc  # the CLI's API path: same traces, lines looked up by the API
    module = tmp_path / "acme"
    shutil.copytree(ACME, module, ignore=shutil.ignore_patterns("tests"))
    (module / "tests").mkdir()
    (module / "tests" / "recorded.json").write_text(json.dumps(doc))
    report = await run_module_tests(module, ["native"])
    assert report.ok, report.render()


def test_cli_records_from_a_traces_file(tmp_path: Path) -> None:
    traces, _, _ = trio.run(_boot_a_phone)
    saved = tmp_path / "traces.json"
    saved.write_text(json.dumps(traces))
    out = tmp_path / "boot.json"
    run = subprocess.run([str(PROVHOST), "--data-dir", str(tmp_path / "data"), "module",
                          "record", "--from-traces", str(saved), "--client", OTHER, "-o",
                          str(out)], capture_output=True, text=True, check=False, timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(out.read_text())["steps"] == [
        {"proto": "tftp", "path": "/nothing.cfg", "expect": "not_found"}]
    missing = subprocess.run([str(PROVHOST), "--data-dir", str(tmp_path / "data"), "module",
                              "record", "--from-traces", str(saved), "--client", "127.0.0.99"],
                             capture_output=True, text=True, check=False, timeout=60)
    assert missing.returncode == 1
    assert "no request from 127.0.0.99; seen: 127.0.0.77 (4), 127.0.0.78 (1)" in missing.stderr


# tshark -r boot.pcap -T fields -E separator=/t -e frame.time_epoch -e ip.src -e tftp.opcode
#   -e tftp.source_file -e tftp.destination_file -e http.request.method -e http.request.uri
#   -e http.user_agent -Y 'tftp.opcode <= 2 or http.request'
TSHARK = (
    "1764790000.100000\t10.0.0.23\t1\ty000000000028.cfg\t\t\t\t\n"
    "1764790000.300000\t10.0.0.23\t1\t001565000001.cfg\t\t\t\t\n"
    "1764790000.200000\t10.0.0.99\t1\tspa504G.cfg\t\t\t\t\n"
    "1764790001.000000\t10.0.0.23\t\t\t\tGET\t/001565000001.cfg?x=1\t"
    "Yealink SIP-T46G 28.83.0.50 00:15:65:00:00:01\n"
    "1764790002.000000\t10.0.0.23\t2\t\t001565000001.log\t\t\t\n"
    "1764790003.000000\t10.0.0.23\t\t\t\tPUT\thttp://10.0.0.1/logs/a.log\t\n"
)


def test_tshark_fields_become_steps_in_time_order() -> None:
    doc = from_tshark(TSHARK, "10.0.0.23")
    assert [(s["proto"], s.get("method", "GET"), s["path"], s["expect"]) for s in doc["steps"]] == [
        ("tftp", "GET", "/y000000000028.cfg", "served"),
        ("tftp", "GET", "/001565000001.cfg", "served"),
        ("http", "GET", "/001565000001.cfg", "served"),
        ("tftp", "PUT", "/001565000001.log", "upload_accepted"),
        ("http", "PUT", "/logs/a.log", "upload_accepted")]
    assert doc["steps"][2]["user_agent"].startswith("Yealink SIP-T46G")
    assert all(s["comment"] == "from a capture: check the expectation" for s in doc["steps"])
    with pytest.raises(RecordError, match="several addresses"):
        from_tshark(TSHARK)
    with pytest.raises(RecordError, match="line 1: not the fields"):
        from_tshark("GET /a\n")


def test_trace_files_of_each_shape() -> None:
    one = {"client": "127.0.0.5", "proto": "tftp", "path": "/a.cfg", "status": "served",
           "answered_by": "m", "started": 1.0}
    assert load_traces(json.dumps(one)) == [one]
    assert load_traces(json.dumps([{"trace": one, "status": "served"}])) == [one]
    with pytest.raises(RecordError, match="expected request traces"):
        load_traces('[{"a": 1}]')
    busy = {**one, "path": "/b.cfg", "status": "busy", "started": 2.0}
    doc = from_traces([busy, one])
    assert [s["path"] for s in doc["steps"]] == ["/a.cfg"]
    assert "tftp GET /b.cfg (busy)" in doc["_skipped"]
    with pytest.raises(RecordError, match="nothing to record"):
        from_traces([busy])
