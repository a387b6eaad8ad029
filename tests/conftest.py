"""In CI the shared corpus and seed plans must be there: tests that need them must not skip silently."""

import os

import pytest

from support import CORPUS, SEEDS


def pytest_sessionstart(session):
    if os.environ.get("CI") and not (CORPUS.is_dir() and SEEDS.is_dir()):
        raise pytest.UsageError(
            f"CI needs the shared corpus and seeds beside the repository ({CORPUS}, {SEEDS})."
        )
