"""Shared fixtures: the real data folder (skip with a message when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _data_dir() -> Path | None:
    env = os.environ.get("XLNER_DATA")
    if env:
        return Path(env)
    default = REPO.parent / "shared" / "data"
    return default if default.is_dir() else None


DATA_DIR = _data_dir()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if DATA_DIR is None or not DATA_DIR.is_dir():
        pytest.skip("real data not found: set XLNER_DATA or put shared/data beside the repo")
    return DATA_DIR


def masakhaner_langs() -> list[str]:
    if DATA_DIR is None:
        return []
    root = DATA_DIR / "masakhaner2"
    return (
        sorted(p.name for p in root.iterdir() if (p / "test.txt").is_file())
        if root.is_dir()
        else []
    )
