"""`provhost repo build FAMILY_DIR -o OUT`: one module zip per model of a family.

The seed's layout (``plugins/xivo-cisco-spa/`` with ``common/`` and one folder per model):
each model's zip is ``common/`` overlaid with the model's folder (the model's files win).
Each built module's ``info`` gains ``family`` and ``family_common`` (the SHA-256 of
``common/``), which `repo publish` records, so the next build can enforce the seed's rule:
*if you modify common, increment the version of all the models* -- a build whose
``common/`` differs from the last published one refuses every model whose version was not
increased, naming each.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from provhost.moduleformat.info import INFO_FILE, compare_versions, parse_info
from provhost.repo.publisher import PublishError, Repository, family_record

COMMON = "common"


@dataclass(frozen=True)
class BuiltModule:
    id: str
    version: str
    zip: Path


def tree_hash(root: Path) -> str:
    """SHA-256 over every file's relative path and content (order-independent)."""
    h = hashlib.sha256()
    for p in sorted(x for x in root.rglob("*") if x.is_file()):
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def models(family_dir: Path) -> list[Path]:
    return sorted(p for p in family_dir.iterdir()
                  if p.is_dir() and p.name != COMMON and not p.name.startswith((".", "_")))


def _overlay(common: Path, model: Path, out: Path) -> None:
    if common.is_dir():
        shutil.copytree(common, out, dirs_exist_ok=True)
    shutil.copytree(model, out, dirs_exist_ok=True)


def build(family_dir: Path, out: Path, repo: Repository | None = None) -> list[BuiltModule]:
    family = family_dir.resolve().name
    common = family_dir / COMMON
    common_hash = tree_hash(common) if common.is_dir() else hashlib.sha256(b"").hexdigest()
    found = models(family_dir)
    if not found:
        raise PublishError(f"{family_dir}: no model folders beside {COMMON}/")
    record = family_record(repo, family) if repo is not None else None
    staged: list[tuple[str, str, Path]] = []
    with tempfile.TemporaryDirectory(prefix="provhost-build-") as tmp:
        for model in found:
            tree = Path(tmp) / model.name
            _overlay(common, model, tree)
            info_path = tree / INFO_FILE
            if not info_path.is_file():
                raise PublishError(f"{model}: no info file (in the model or in {COMMON}/)")
            info = parse_info(info_path.read_text())
            staged.append((info.id, info.version, tree))
        if record is not None and record.get("common_sha256") != common_hash:
            published = record.get("models", {})
            stale = [f"{mid} (still {ver}, published {published[mid]})"
                     for mid, ver, _ in staged
                     if mid in published and compare_versions(ver, published[mid]) <= 0]
            if stale:
                raise PublishError(
                    f"family {family}: {COMMON}/ changed since the last published build; "
                    "increase the version of every model (`provhost module bump`): "
                    + ", ".join(stale))
        out.mkdir(parents=True, exist_ok=True)
        built = []
        for mid, version, tree in staged:
            info_path = tree / INFO_FILE
            text = info_path.read_text().rstrip("\n")
            info_path.write_text(f"{text}\nfamily = {family}\nfamily_common = {common_hash}\n")
            target = out / f"{mid}-{version}.zip"
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
                for p in sorted(tree.rglob("*")):
                    if p.is_file():
                        z.write(p, p.relative_to(tree).as_posix())
            built.append(BuiltModule(mid, version, target))
    return built
