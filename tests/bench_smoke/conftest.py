"""The real server fixture of tests/serving, for the bench smoke tests that need one."""

from ..serving.conftest import server  # noqa: F401  (fixture)
