"""The watch filter: decides which articles match an analyst's watch, and explains why.

Watches are TOML files (grammar: the project README, "Watches: the rule language"). Typical use::

    matcher = Matcher(load_watches(paths))   # build once; the application says which files
    for result in matcher.match(Document(title, text, language)):
        print(format_explanation(result))
"""
from __future__ import annotations

from .evaluate import EvalReport, evaluate_examples
from .explain import format_explanation
from .loader import load_watch, load_watches, parse_watch
from .matcher import Matcher
from .model import Document, Hit, MatchResult, Watch, WatchError

__all__ = [
    "Document", "EvalReport", "Hit", "MatchResult", "Matcher", "Watch", "WatchError",
    "evaluate_examples", "format_explanation", "load_watch", "load_watches", "parse_watch",
]
