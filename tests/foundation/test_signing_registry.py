"""Module signing and the registry: install, upgrade, order, bundled rules."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from provhost import signing
from provhost.paths import Paths
from provhost.registry import ModuleEntry, Registry, RegistryError, chain_order
from provhost.store.base import ModuleState
from provhost.store.sqlite import SqliteStore

from .moduletree import make_module


def _registry(paths: Paths) -> Registry:
    reg = Registry(SqliteStore(paths.database), paths)
    reg.load()
    return reg


def _signed_zip(tmp: Path, src: Path, pem: bytes, name: str = "m.zip") -> Path:
    work = tmp / ("sign-" + name)
    shutil.copytree(src, work)
    signing.sign_tree(work, pem, "tester")
    out = tmp / name
    with zipfile.ZipFile(out, "w") as zf:
        for p in sorted(work.rglob("*")):
            if p.is_file():
                zf.write(p, "mymodule/" + p.relative_to(work).as_posix())
    return out


@pytest.fixture
def key(empty_bundled_paths: Paths) -> bytes:
    pem, public = signing.generate_key()
    reg = _registry(empty_bundled_paths)
    reg.store.add_trusted_key("acme", public)
    return pem


def test_signed_module_installs_and_records_signer(tmp_path, empty_bundled_paths, key):
    src = make_module(tmp_path / "src", "acme-phones", "1.0")
    reg = _registry(empty_bundled_paths)
    entry = reg.install(_signed_zip(tmp_path, src, key))
    assert entry.id == "acme-phones" and entry.state.signed_by == "acme"
    assert [e.id for e in reg.chain()] == ["acme-phones"]
    assert (Path(entry.state.path) / "providers" / "p.php").is_file()


def test_tampered_module_is_refused(tmp_path, empty_bundled_paths, key):
    src = make_module(tmp_path / "src", "acme-phones", "1.0")
    signed = _signed_zip(tmp_path, src, key)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(signed) as zin, zipfile.ZipFile(tampered, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.endswith("providers/p.php"):
                data = data.replace(b"passNext", b"sendOk")
            zout.writestr(item, data)
    reg = _registry(empty_bundled_paths)
    with pytest.raises(RegistryError, match="modified after signing"):
        reg.install(tampered)
    assert reg.entries() == []


def test_unknown_key_is_refused(tmp_path, empty_bundled_paths, key):
    other_pem, _ = signing.generate_key()
    src = make_module(tmp_path / "src", "acme-phones", "1.0")
    with pytest.raises(RegistryError, match="not a trusted key"):
        _registry(empty_bundled_paths).install(_signed_zip(tmp_path, src, other_pem))


def test_unsigned_refused_unless_allowed_and_then_marked(tmp_path, empty_bundled_paths):
    src = make_module(tmp_path / "src", "own-module", "0.1")
    reg = _registry(empty_bundled_paths)
    with pytest.raises(RegistryError, match="not signed"):
        reg.install(src)
    entry = reg.install(src, allow_unsigned=True)
    assert entry.state.signed_by is None


def test_upgrade_requires_newer_version_unless_forced(tmp_path, empty_bundled_paths):
    reg = _registry(empty_bundled_paths)
    v1 = reg.install(make_module(tmp_path / "a", "m", "0.4"), allow_unsigned=True)
    reg.disable("m")
    with pytest.raises(RegistryError, match=r"0\.4 is not newer than the installed 0\.4"):
        reg.install(make_module(tmp_path / "b", "m", "0.4"), allow_unsigned=True)
    with pytest.raises(RegistryError, match="not newer"):
        reg.install(make_module(tmp_path / "c", "m", "0.3.9"), allow_unsigned=True)
    v2 = reg.install(make_module(tmp_path / "d", "m", "0.4.01"), allow_unsigned=True)
    assert v2.state.version == "0.4.01"
    assert not v2.state.enabled  # the administrator's choice survives the upgrade
    # the old version's files stay until no worker uses them, then the collector takes them
    assert Path(v1.state.path).is_dir()
    from provhost import module_dirs

    in_use = module_dirs.hold(empty_bundled_paths, Path(v1.state.path))  # a running worker
    assert in_use is not None
    assert module_dirs.collect(empty_bundled_paths, reg.store) == []  # kept while in use
    in_use.close()
    held = module_dirs.hold(empty_bundled_paths, Path(v2.state.path))
    assert module_dirs.collect(empty_bundled_paths, reg.store) == [Path(v1.state.path).name]
    assert not Path(v1.state.path).exists() and Path(v2.state.path).is_dir()
    assert held is not None
    held.close()
    forced = reg.install(make_module(tmp_path / "e", "m", "0.4"), allow_unsigned=True, force=True)
    assert forced.state.version == "0.4"
    # a fresh registry over the same store sees the same thing
    assert _registry(empty_bundled_paths).get("m").state.version == "0.4"


def test_failed_upgrade_leaves_the_old_version(tmp_path, empty_bundled_paths):
    reg = _registry(empty_bundled_paths)
    old = reg.install(make_module(tmp_path / "a", "m", "1.0"), allow_unsigned=True)
    broken = make_module(tmp_path / "b", "m", "2.0")
    (broken / "phone_types").write_text('t1 x "bad max lines"\n')
    with pytest.raises(RegistryError, match="invalid module"):
        reg.install(broken, allow_unsigned=True)
    assert reg.get("m").state.version == "1.0" and Path(old.state.path).is_dir()


def test_bundled_modules_cannot_be_removed_or_replaced(tmp_path, paths):
    reg = _registry(paths)
    spa = reg.get("cisco-spa")
    assert spa.state.kind == "bundled"
    with pytest.raises(RegistryError, match="bundled module: it can be disabled, not removed"):
        reg.remove("cisco-spa")
    with pytest.raises(RegistryError, match="bundled module: it cannot be replaced"):
        reg.install(make_module(tmp_path / "x", "cisco-spa", "99"), allow_unsigned=True)
    reg.disable("cisco-spa")
    assert "cisco-spa" not in [e.id for e in reg.chain()]
    assert _registry(paths).get("cisco-spa").state.enabled is False


def _entry(mid: str, seq: str) -> ModuleEntry:
    class _M:  # only what chain_order reads
        class info:
            sequence = seq

    state = ModuleState(mid, "addon", "1", True, None, None, "", 0.0)
    return ModuleEntry(state, _M())  # type: ignore[arg-type]


def test_sequence_is_ordered_as_strings_with_id_tiebreak():
    entries = [_entry("polycom", "5"), _entry("late", "2"), _entry("early", "15"),
               _entry("yealink", "4"), _entry("aastra", "5")]
    assert [e.id for e in chain_order(entries)] == ["early", "late", "yealink", "aastra",
                                                    "polycom"]


def test_sequence_override_and_quarantine(tmp_path, empty_bundled_paths):
    reg = _registry(empty_bundled_paths)
    reg.install(make_module(tmp_path / "a", "a", "1", sequence="5"), allow_unsigned=True)
    reg.install(make_module(tmp_path / "b", "b", "1", sequence="5"), allow_unsigned=True)
    reg.set_sequence("b", "15")
    assert [e.id for e in reg.chain()] == ["b", "a"]
    with pytest.raises(RegistryError, match="string of digits"):
        reg.set_sequence("b", "x1")
    reg.quarantine("b", "crashed 5 times")
    assert [e.id for e in reg.chain()] == ["a"]
    reg.enable("b")
    assert [e.id for e in reg.chain()] == ["b", "a"]
