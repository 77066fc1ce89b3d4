"""Shared test set-up: the ``crm_core.testing`` fixtures come from its pytest11 entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The folder of real public datasets beside the project."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the shared datasets are missing at {SHARED_DATA}")
    return SHARED_DATA
