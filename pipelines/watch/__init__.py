"""The watch filter: decides which articles match an analyst's watch, and explains why.

Watches are TOML files (grammar: the project README, "Watches: the rule language"). Typical use::

    matcher = Matcher(load_watches(bundled_watch_paths()))   # build once
    for result in matcher.match(Document(title, text, language)):
        print(format_explanation(result))
"""
from __future__ import annotations

from pathlib import Path

from .evaluate import EvalReport, evaluate_examples
from .explain import format_explanation
from .loader import load_watch, load_watches, parse_watch
from .matcher import Matcher
from .model import Document, Hit, MatchResult, Watch, WatchError

WATCHLISTS_DIR = Path(__file__).resolve().parents[2] / "crawler" / "watchlists"


def bundled_watch_paths() -> list[Path]:
    """The watch files shipped with newswatch (crawler/watchlists/*.toml)."""
    return sorted(WATCHLISTS_DIR.glob("*.toml"))


__all__ = [
    "Document", "EvalReport", "Hit", "MatchResult", "Matcher", "Watch", "WatchError",
    "bundled_watch_paths", "evaluate_examples", "format_explanation", "load_watch",
    "load_watches", "parse_watch", "WATCHLISTS_DIR",
]
