"""The per-phone upload store: safe names, size and count caps, newest version kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from provhost.uploads import PhoneUploads, UploadLimits, UploadRefused, check_name

MAC = "0004f2000001"


@pytest.mark.parametrize("name", ["../x", ".hidden", "a/b", "", "x" * 129, "a\x00b", "a..b",
                                  "a b", "-"])
def test_hostile_names_are_refused(name: str) -> None:
    with pytest.raises(UploadRefused, match="invalid upload name"):
        check_name(name)


def test_store_keeps_the_newest_and_lists(tmp_path: Path) -> None:
    up = PhoneUploads(tmp_path)
    up.store(MAC, "app.log", b"one")
    up.store(MAC, "app.log", b"two, longer")
    up.store(MAC, "boot.log", b"b")
    assert [(u.name, u.size) for u in up.list(MAC)] == [("app.log", 11), ("boot.log", 1)]
    assert up.read(MAC, "app.log") == b"two, longer"
    assert list((tmp_path / MAC).glob(".incoming-*")) == []


def test_caps_on_size_and_count(tmp_path: Path) -> None:
    up = PhoneUploads(tmp_path, UploadLimits(max_size=10, max_files=2))
    with pytest.raises(UploadRefused, match="exceeds the 10-byte limit"):
        up.store(MAC, "a.log", b"x" * 11)
    up.store(MAC, "a.log", b"x")
    up.store(MAC, "b.log", b"x")
    with pytest.raises(UploadRefused, match="already has 2 uploaded files"):
        up.store(MAC, "c.log", b"x")
    up.store(MAC, "a.log", b"replaced")  # replacing an existing name is always allowed
    up.remove_phone(MAC)
    assert up.list(MAC) == []
