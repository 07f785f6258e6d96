"""Finding a module's boot sequences: tests/*.json of an unpacked module (or of a module
source, for `module check`).  Imports nothing above the module format, so the format's
loader can validate sequences without pulling in the servers."""

from __future__ import annotations

import tempfile
from pathlib import Path

from provhost.moduleformat.archive import extract_module
from provhost.moduleformat.model import FormatError
from provhost.moduletest.sequence import (
    TESTS_DIR,
    BootSequence,
    SequenceProblem,
    check_sequence,
    is_sequence_name,
)


def read_sequences(root: Path) -> tuple[list[BootSequence], list[SequenceProblem]]:
    """Every tests/*.json of an unpacked module root, parsed, in name order."""
    folder = root / TESTS_DIR
    found: list[BootSequence] = []
    problems: list[SequenceProblem] = []
    if not folder.is_dir():
        return found, problems
    for path in sorted(folder.iterdir()):
        rel = f"{TESTS_DIR}/{path.name}"
        if not path.is_file() or not is_sequence_name(rel):
            continue
        seq, errs = check_sequence(path.read_bytes(), rel)
        problems += errs
        if seq is not None:
            found.append(seq)
    return found, problems


def count_sequences(source: Path) -> int:
    """How many files tests/*.json the module at `source` has (valid or not); 0 when it
    cannot even be unpacked (`module check` reports that)."""
    with tempfile.TemporaryDirectory(prefix="provhost-sequences-") as tmp:
        try:
            root = extract_module(Path(source), Path(tmp) / "m")
        except FormatError:
            return 0
        folder = root / TESTS_DIR
        return sum(1 for p in folder.iterdir() if p.is_file()
                   and is_sequence_name(f"{TESTS_DIR}/{p.name}")) if folder.is_dir() else 0


def read_files(paths: list[Path]) -> tuple[list[BootSequence], list[SequenceProblem]]:
    """Sequence files given by path (outside any module), in the order given."""
    found: list[BootSequence] = []
    problems: list[SequenceProblem] = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            problems.append(SequenceProblem(str(path), "", f"cannot read it: {e.strerror}"))
            continue
        seq, errs = check_sequence(data, str(path))
        problems += errs
        if seq is not None:
            found.append(seq)
    return found, problems
