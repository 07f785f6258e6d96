"""Boot-sequence tests that module authors ship in `tests/` (docs/module-testing.md)."""
