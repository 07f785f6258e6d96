"""What runs under a process, read from /proc: the benches' view of worker trees."""

from __future__ import annotations

from pathlib import Path


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from the children files of each process's main thread
    (the runtimes spawn workers from the main thread on purpose)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found += [int(c) for c in children]
        todo += [int(c) for c in children]
    return found


def pss_kib(roots: list[int]) -> int:
    """Proportional set size of `roots` and everything below them (the real footprint of
    processes that share pages)."""
    total = 0
    for pid in roots + [d for root in roots for d in descendants(root)]:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
    return total
