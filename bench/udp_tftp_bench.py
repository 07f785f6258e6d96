"""Benchmark: single-block TFTP transfers/s against provhost's trio TFTP server (an in-memory
file, no chain), beside a trio UDP server answering the same exchange with no protocol
behind it (the ceiling for anything trio does per datagram), same run.

Not a test.  Loopback only; every phase is bounded in count and in time.  Each server runs
in its own child process (bench/servers.py); the client is bench/loadgen.py.

A single-block transfer is RRQ -> DATA (from a fresh server port) -> ACK, and the server
opens and closes a socket for each; the ceiling answers RRQ -> 512-byte datagram -> ACK on
one socket.  The ratio compares the two rates.

    .venv/bin/python bench/udp_tftp_bench.py [--count N] [--seconds S] [--concurrency C]
"""

from __future__ import annotations

import argparse
import os
import sys

import loadgen
import servers

LABELS = {"echo": "raw trio UDP exchange (ceiling)", "tftp-memory": "provhost TFTP 1-block get"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="operations per phase")
    parser.add_argument("--seconds", type=float, default=5.0, help="time cap per phase")
    parser.add_argument("--concurrency", type=int, default=16, help="clients in flight")
    args = parser.parse_args()

    results = {}
    for kind, expect in (("echo", b""), ("tftp-memory", servers.MEMORY_FILE)):
        with servers.running(kind) as (ports, _):
            port = ports.get("udp") or ports["tftp"]
            one = loadgen.tftp_load(port, "/bench.cfg", seconds=args.seconds, concurrency=1,
                                    warmup=0.2, expect=expect, count=args.count).summary()
            wide = loadgen.tftp_load(port, "/bench.cfg", seconds=args.seconds,
                                     concurrency=args.concurrency, warmup=0.2, expect=expect,
                                     count=args.count).summary()
        results[kind] = (one, wide)

    print(f"loopback, python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
          f"count<={args.count}, <={args.seconds:g}s per phase")
    print(f"{'server':<32}{'seq ops/s':>11}{'p50 us':>9}{'p99 us':>9}"
          f"{f'x{args.concurrency} ops/s':>14}{'fail':>6}")
    for kind, (one, wide) in results.items():
        print(f"{LABELS[kind]:<32}{one['rps']:>11.0f}{one['p50_ms'] * 1e3:>9.0f}"
              f"{one['p99_ms'] * 1e3:>9.0f}{wide['rps']:>14.0f}"
              f"{one['failures'] + wide['failures']:>6}")
    echo, tftp = results["echo"], results["tftp-memory"]
    print(f"ratio tftp/ceiling: sequential {tftp[0]['rps'] / echo[0]['rps']:.2f}, "
          f"concurrent {tftp[1]['rps'] / echo[1]['rps']:.2f}")


if __name__ == "__main__":
    main()
