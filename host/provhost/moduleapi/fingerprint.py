"""The fingerprint of a phone's configuration inputs (module, version, the phone's own
variables, module-visible settings, firmware content ids): equal fingerprints, equal
configuration.  Stored when a phone fetches; provhost.tracking compares."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def config_fingerprint(module_id: str, version: str, config: dict[str, Any],
                       settings: dict[str, Any], content_ids: dict[str, str]) -> str:
    blob = json.dumps([module_id, version, config, settings, content_ids], sort_keys=True,
                      default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
