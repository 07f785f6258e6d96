"""Benchmark: provisioning requests/s and latency over HTTP and TFTP through the whole stack
(chain + sandboxed PHP provider + template), beside the ceilings of that stack measured in
the same run on the same machine.  Not a test; loopback only; bounded in time.

    .venv/bin/python bench/serving_bench.py [--seconds S] [--concurrency C] [--json F]

The quick form of bench/ceilings.py: its ceilings and the product's native sandbox only
(ceilings.py also measures unsandboxed PHP and the WebAssembly runtime).
"""

from __future__ import annotations

import argparse

import ceilings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--concurrency", type=int, default=10)
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args()
    argv = ["--setups", "native", "--seconds", str(a.seconds), "--concurrency",
            str(a.concurrency), *(["--out", a.json] if a.json else [])]
    ceilings.main(argv)


if __name__ == "__main__":
    main()
