"""Regenerate pipelines/watch/lemmas.json: the dictionary lemmas the bundled watches need.

    python -m pipelines.watch.lemma_table crawler/watchlists/*.toml          # rewrite the file
    python -m pipelines.watch.lemma_table --check crawler/watchlists/*.toml  # exit 1 when stale

The watch files are arguments: which watches are bundled is the application's business.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from . import inflect


def compute(watch_paths: list[Path]) -> dict[str, str | None]:
    """Every (language, word) look-up that building these watches makes, answered by simplemma."""
    from .loader import load_watches
    from .matcher import Matcher

    inflect._recording = {}
    inflect.stems_of.cache_clear()  # every look-up must happen again, into the recording
    try:
        Matcher(load_watches(watch_paths))
        return dict(sorted(inflect._recording.items()))
    finally:
        inflect._recording = None


def render(table: dict[str, str | None]) -> str:
    return json.dumps(table, ensure_ascii=False, indent=0, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv if a != "--check"]
    if not paths:
        print("usage: python -m pipelines.watch.lemma_table [--check] WATCH.toml ...")
        return 2
    text = render(compute(paths))
    if "--check" in argv:
        current = inflect.LEMMA_TABLE.read_text(encoding="utf-8") if inflect.LEMMA_TABLE.exists() else ""
        if current != text:
            print(f"{inflect.LEMMA_TABLE} is stale: run python -m pipelines.watch.lemma_table crawler/watchlists/*.toml")
            return 1
        return 0
    inflect.LEMMA_TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {inflect.LEMMA_TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
