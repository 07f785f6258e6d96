"""The boot-sequence parser and the expectation checks: pure, no server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from provhost.moduletest.checks import Outcome, differences, parse_problem
from provhost.moduletest.sequence import (
    SequenceInvalid,
    check_sequence,
    is_sequence_name,
    parse_sequence,
)

FIXTURES = Path(__file__).parent / "fixtures"

# The example of the brief every helper writes against, verbatim.
EXAMPLE = {
    "description": "Yealink T46G from factory defaults over TFTP, then HTTP",
    "setup": [
        ["user", "add", "alice", "Alice Example"],
        ["phone", "add", "001565000001", "yealink_t46"],
        ["line", "add", "10", "--user", "alice", "--phone", "001565000001"],
        ["settings", "set", "VOICEMAIL_EXT", "50"],
    ],
    "steps": [
        {"proto": "tftp", "path": "/y000000000028.cfg", "expect": "not_found"},
        {"proto": "http", "path": "/001565000001.cfg",
         "user_agent": "Yealink SIP-T46G 28.83.0.50 00:15:65:00:00:01",
         "expect": "served", "module": "yealink", "phone_type": "yealink_t46",
         "parse": "ini", "contains": ["account.1.user_name = 10"],
         "not_contains": ["{$"], "matches": ["account\\.1\\.sip_server\\.1\\.address = \\S+"]},
        {"proto": "http", "method": "PUT", "path": "/0004f2000001-app.log",
         "body": "log line\n", "expect": "upload_accepted"},
    ],
}


def _problems(doc: object, name: str = "tests/x.json") -> list[str]:
    raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    seq, problems = check_sequence(raw, name)
    assert (seq is None) == bool(problems)
    return [str(p) for p in problems]


def test_the_briefs_example_parses_with_defaults() -> None:
    seq = parse_sequence(json.dumps(EXAMPLE).encode(), "tests/t46.json")
    assert seq.name == "t46.json" and len(seq.setup) == 4
    first, second, third = seq.steps
    assert (first.proto, first.method, first.expect, first.index) == ("tftp", "GET", "not_found", 1)
    assert second.contains == ("account.1.user_name = 10",) and second.parse == "ini"
    assert second.matches[0].search("account.1.sip_server.1.address = 10.0.0.1")
    assert third.is_upload and third.body == b"log line\n"


def test_defaults_and_single_strings() -> None:
    seq = parse_sequence(b'{"steps": [{"path": "/a.cfg", "contains": "x"}]}', "tests/a.json")
    step = seq.steps[0]
    assert (step.proto, step.method, step.expect, step.contains) == ("tftp", "GET", "served",
                                                                      ("x",))
    assert seq.setup == () and seq.description == ""


@pytest.mark.parametrize(("doc", "expected"), [
    (b"{", "tests/x.json: not valid JSON: Expecting property name enclosed in double quotes "
           "at line 1 column 2"),
    ([], "tests/x.json: must be a JSON object with \"steps\""),
    ({"steps": []}, "tests/x.json: 'steps' must be a non-empty list of requests"),
    ({"steps": [{"path": "/a", "contians": "x"}]},
     "tests/x.json: step 1: unknown key 'contians'"),
    ({"steps": [{"path": "/a"}, {"path": "/b", "expect": "ok"}]},
     "tests/x.json: step 2: expect 'ok' is not one of served, not_found, upload_accepted, "
     "refused"),
    ({"steps": [{"proto": "http", "path": "a.cfg"}]},
     "tests/x.json: step 1: an HTTP path starts with '/': 'a.cfg'"),
    ({"steps": [{"path": "/a", "matches": ["("]}]},
     "tests/x.json: step 1: matches: '(' is not a valid Python regex"),
    ({"steps": [{"path": "/a", "expect": "not_found", "contains": "x"}]},
     "tests/x.json: step 1: contains check the body of a served file, but expect is "
     "'not_found'"),
    ({"steps": [{"path": "/a", "expect": "upload_accepted"}]},
     "tests/x.json: step 1: expect upload_accepted needs method PUT or POST"),
    ({"steps": [{"path": "/a", "body": "x"}]},
     "tests/x.json: step 1: a GET has no body"),
    ({"steps": [{"path": "/a", "crlf": "yes"}]}, "tests/x.json: step 1: 'crlf' must be true"),
    ({"steps": [{"proto": "http", "path": "/a", "status": True}]},
     "tests/x.json: step 1: 'status' must be an integer"),
    ({"steps": [{"path": "/a", "user_agent": "Yealink"}]},
     "tests/x.json: step 1: user_agent only applies to http and https"),
    ({"steps": [{"proto": "ftp", "method": "PUT", "path": "/a", "body": "x",
                 "expect": "upload_accepted"}]},
     "tests/x.json: step 1: the FTP server is read-only"),
    ({"steps": [{"path": "/a\nb"}]}, "tests/x.json: step 1: path must be non-empty"),
    ({"steps": [{"proto": "http", "path": "/a", "auth_mac": "0a00"}]},
     "tests/x.json: step 1: auth_mac '0a00' is not a MAC address"),
    ({"steps": [{"path": "/a", "auth_mac": "0a0000000001"}]},
     "tests/x.json: step 1: auth_mac only applies to http and https"),
    ({"setup": [["user", "add"], "user add bob"], "steps": [{"path": "/a"}]},
     "tests/x.json: setup[2]: must be a non-empty list of strings"),
])
def test_each_mistake_is_named_with_file_and_step(doc: object, expected: str) -> None:
    problems = _problems(doc)
    assert any(p.startswith(expected) for p in problems), problems


@pytest.mark.parametrize("command", [
    ["phone", "upload", "0a0000000001", "x.log", "-o", "/tmp/stolen"],
    ["phone", "config", "0a0000000001", "-o", "/tmp/x.zip"],
    ["module", "install", "/etc"],
    ["firmware", "preview", "m", "s", "-o", "/tmp/x.png"],
    ["serve"],
    ["request", "/a.cfg"],
])
def test_setup_cannot_touch_files_of_the_machine(command: list[str]) -> None:
    """A sequence comes from the module, which may be hostile: setup is an allow-list."""
    problems = _problems({"setup": [command], "steps": [{"path": "/a"}]})
    assert len(problems) == 1 and "is not allowed in setup" in problems[0], problems


def test_every_problem_is_reported_at_once() -> None:
    problems = _problems(json.loads((FIXTURES / "failing" / "invalid.json").read_text()))
    assert problems == [
        "tests/x.json: setup[1]: `provhost phone upload` is not allowed in setup (allowed: "
        "user *; line *; prefix *; settings get|set; phone add|auth|list|password|remove|show;"
        " module disable|enable|list|runtime|sequence)",
        "tests/x.json: step 2: unknown key 'contians' (known: auth_mac, body, contains, crlf, "
        "expect, first_line, matches, method, module, name, not_contains, parse, path, phone_type, "
        "proto, status, user_agent; notes go in \"comment\" or keys starting with \"_\")",
        "tests/x.json: step 2: proto 'gopher' is not one of tftp, http, https, ftp",
    ]


def test_notes_are_free() -> None:
    parse_sequence(b'{"comment": "a", "_why": 1, "steps": [{"path": "/a", "comment": "b", '
                   b'"_x": [1]}]}', "tests/a.json")


def test_invalid_raises_with_every_problem() -> None:
    with pytest.raises(SequenceInvalid) as e:
        parse_sequence(b'{"steps": [{"proto": "x"}]}', "tests/a.json")
    assert [p.where for p in e.value.problems] == ["step 1", "step 1"]


def test_sequence_names() -> None:
    assert is_sequence_name("tests/boot.json")
    assert not is_sequence_name("tests/.hidden.json")
    assert not is_sequence_name("tests/sub/boot.json")
    assert not is_sequence_name("tests/capture.pcap")
    assert not is_sequence_name("boot.json")


# -- checks ---------------------------------------------------------------------------------
def _step(**fields: object):
    doc = {"steps": [{"path": "/a", **fields}]}
    return parse_sequence(json.dumps(doc).encode(), "tests/a.json").steps[0]


def _served(body: bytes, **trace: str) -> Outcome:
    return Outcome("served", "HTTP 200", 200, body, trace_found=bool(trace), **trace)


def test_a_matching_outcome_has_no_difference() -> None:
    step = _step(proto="http", module="m", phone_type="t", parse="xml", contains="<a>",
                 not_contains="{$", matches="^<a>\\d+</a>$", crlf=True, first_line="<a>1</a>",
                 status=200)
    assert differences(step, _served(b"<a>1</a>\r\n", module="m", phone_type="t")) == []


def test_each_difference_is_one_sentence() -> None:
    step = _step(proto="http", module="m", phone_type="t", parse="xml", contains="<b>",
                 not_contains="oops", matches="^z", crlf=True, first_line="<x>", status=201)
    assert differences(step, _served(b"<a>\noops\n", module="other", phone_type="t2")) == [
        "expected HTTP status 201, got 200",
        "expected module 'm', the trace says 'other'",
        "expected phone_type 't', the trace says 't2'",
        "the body does not parse as xml: no element found: line 3, column 0",
        "the body does not contain '<b>'",
        "the body contains 'oops' (line 2)",
        "no match for the regex '^z'",
        "line 1 ends with LF, not CRLF",
        "the first line is '<a>', expected '<x>'",
    ]


def test_wrong_result_and_missing_trace() -> None:
    got = differences(_step(module="m"), Outcome("not_found", "TFTP error 1 (file not found)"))
    assert got == ["expected served, got not_found (TFTP error 1 (file not found))",
                   "module: no request trace found for this request"]


def test_regexes_work_on_crlf_files_either_way() -> None:
    body = _served(b"a = 1\r\nb = 2\r\n")
    assert differences(_step(matches=["^a = 1$", "a = 1\r\nb", "b = 2\r\n$"]), body) == []
    assert differences(_step(matches="^a = 1\n"), _served(b"a = 1\r\n")) == []
    assert differences(_step(matches="^a = 2$"), body) == ["no match for the regex '^a = 2$'"]


def test_crlf_false_means_plain_line_ends() -> None:
    assert differences(_step(crlf=False), _served(b"a\r\nb\r\n")) == [
        "the body has CRLF line ends"]
    assert differences(_step(crlf=False), _served(b"a\nb")) == []
    assert differences(_step(crlf=True), _served(b"a\r\nb")) == []  # last line unterminated


@pytest.mark.parametrize(("kind", "text", "ok"), [
    ("ini", "a = 1\n[s]\nb: 2\n", True),  # keys before the first section, as phones write
    ("ini", "[s]\na = 1\n[s]\n", False),
    ("json", '{"a": 1}', True),
    ("json", "{a: 1}", False),
    ("xml", "<a><b/></a>", True),
    ("xml", "<a><b></a>", False),
    ("text", "plain", True),
    ("text", "nul\0", False),
])
def test_parse_checks(kind: str, text: str, ok: bool) -> None:
    assert (parse_problem(kind, text) is None) == ok


def test_binary_bodies_fail_text_checks_clearly() -> None:
    got = differences(_step(contains="x"), _served(b"\xff\xfe"))
    assert got == ["the body is not UTF-8 (invalid start byte at byte 0), so text checks "
                   "cannot run"]
