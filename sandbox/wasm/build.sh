#!/usr/bin/env bash
# Builds sandbox/wasm/build/php.wasm (and php.cwasm) from the pinned recipe in build.py.
# Idempotent: exits at once when the cached build matches the recipe's hash.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python sandbox/wasm/build.py "$@"
