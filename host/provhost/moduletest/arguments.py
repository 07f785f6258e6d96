"""The options of `provhost module test` and `module record`: kept apart from the runner so
building the CLI's parser does not import the servers."""

from __future__ import annotations

import argparse


def add_test_arguments(p: argparse.ArgumentParser) -> None:
    """`provhost module test`."""
    p.add_argument("source", help="module directory or zip")
    p.add_argument("--runtime", choices=["native", "wasm", "both"], default="both")
    p.add_argument("--with-bundled", action="store_true",
                   help="run beside the bundled modules (does it coexist with their chain?)")
    p.add_argument("--sequence", action="append", default=[], metavar="NAME.json",
                   help="run only this sequence file of tests/ (repeatable)")
    p.add_argument("--file", action="append", default=[], metavar="PATH",
                   help="run this sequence file instead of the module's own (repeatable): "
                        "e.g. a recording of your phone against a bundled module")
    _json(p)
    p.add_argument("--bodies", metavar="DIR",
                   help="save every file received under DIR/RUNTIME/SEQUENCE/ (to see why a "
                        "check failed)")


def add_record_arguments(p: argparse.ArgumentParser) -> None:
    """`provhost module record`."""
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--from-traces", nargs="?", const="api", metavar="FILE",
                     help="the running server's recent request traces (its API; the token is "
                          "read from the data directory), or a JSON file of traces saved from "
                          "GET /api/v1/traces or `provhost --json request`")
    src.add_argument("--from-tshark", metavar="FILE",
                     help="tab-separated `tshark -T fields` output (docs/module-testing.md)")
    p.add_argument("--client", help="the phone's address (needed when several were seen)")
    p.add_argument("--api", default=None,
                   help="API base URL (default http://127.0.0.1:$PROVHOST_API_PORT or 8081)")
    p.add_argument("--description", default="")
    p.add_argument("-o", "--output", help="write the sequence here (default: print it)")
    _json(p)


def _json(p: argparse.ArgumentParser) -> None:
    """`--json` after the command too (`provhost module test X --json`), as well as before."""
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                   help="machine-readable output")
