"""Where provhost keeps things on disk.  One place, so tests can point everything at a tmpdir."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from provhost.privatefile import ensure_private_dir

SANDBOX_GID = 65534  # nogroup: the firmware sandboxes' group when the host runs as root

# The source tree this package runs from (the install is editable: `pip install -e .`).
SOURCE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    bundled_dir: Path = SOURCE_ROOT / "modules"
    shim_dir: Path = SOURCE_ROOT / "sdk-php-shim"
    # the store: "" = the SQLite file `database` below; postgresql://... = a shared database
    database_url: str = ""

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None,
                 database_url: str | None = None) -> Paths:
        data = Path(data_dir or os.environ.get("PROVHOST_DATA", "./data")).resolve()
        bundled = Path(os.environ.get("PROVHOST_BUNDLED_DIR", SOURCE_ROOT / "modules"))
        url = database_url if database_url is not None else os.environ.get(
            "PROVHOST_DATABASE", "")
        return cls(data_dir=data, bundled_dir=bundled.resolve(), database_url=url)

    @property
    def database(self) -> Path:
        return self.data_dir / "provhost.sqlite"

    @property
    def addons_dir(self) -> Path:
        """Extracted add-on modules, one directory per installed version."""
        return self.data_dir / "modules"

    @property
    def compiled_dir(self) -> Path:
        """Host-compiled templates, one directory per module version."""
        return self.data_dir / "compiled"

    @property
    def firmware_dir(self) -> Path:
        return self.data_dir / "firmware"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def resync_hold(self) -> Path:
        """While this file exists (and its deadline, a Unix time inside, has not passed), a
        starting server does not resync phones: an upgrade lets the new server resync only
        once it has passed the health check (docs/upgrade.md)."""
        return self.data_dir / "upgrade" / "hold-resync"

    def ensure(self) -> None:
        """The data directory is owner-only, 0700 (the database holds SIP and admin
        passwords).  When the host runs as root, firmware sandboxes run as `nobody`
        (runtime/firmware_shell.py) and must reach their bind sources below it: that one
        group may pass through (0710), and every secret inside is a 0600 file anyway."""
        ensure_private_dir(self.data_dir,
                           traverse_gid=SANDBOX_GID if os.geteuid() == 0 else None)
        for d in (self.addons_dir, self.compiled_dir, self.firmware_dir, self.uploads_dir):
            d.mkdir(parents=True, exist_ok=True)
