"""Where the shared test data (real pages, the seed article) lives, and skipping when it is absent.

The data is not part of the project: it sits in ``../shared/data`` beside the checkout (CI lays a
copy there too). ``NEWSWATCH_SHARED_DATA`` points elsewhere when needed.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    override = os.environ.get("NEWSWATCH_SHARED_DATA")
    return Path(override) if override else PROJECT_ROOT.parent / "shared" / "data"


def require_shared(relative: str) -> Path:
    """Return ``shared/data/<relative>``, or skip the calling test saying what is missing."""
    path = shared_data_dir() / relative
    if not path.exists():
        pytest.skip(f"shared test data not found at {path} (set NEWSWATCH_SHARED_DATA to its folder)")
    return path


def seed_article_text() -> str:
    """The Polish Warsaw Institute brief the project was built from."""
    return (require_shared("seed") / "warsaw-institute-russia-pakistan.pl.txt").read_text(encoding="utf-8")
