"""Regenerate pipelines/watch/lemmas.json: the dictionary lemmas the bundled watches need.

    python -m pipelines.watch.lemma_table          # rewrite the file
    python -m pipelines.watch.lemma_table --check  # exit 1 when the file is stale
"""
from __future__ import annotations

import json
import sys

from . import inflect


def compute() -> dict[str, str | None]:
    """Every (language, word) look-up that building the bundled watches makes, answered by simplemma."""
    from . import bundled_watch_paths, load_watches
    from .matcher import Matcher

    inflect._recording = {}
    inflect.stems_of.cache_clear()  # every look-up must happen again, into the recording
    try:
        Matcher(load_watches(bundled_watch_paths()))
        return dict(sorted(inflect._recording.items()))
    finally:
        inflect._recording = None


def render(table: dict[str, str | None]) -> str:
    return json.dumps(table, ensure_ascii=False, indent=0, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render(compute())
    if "--check" in argv:
        current = inflect.LEMMA_TABLE.read_text(encoding="utf-8") if inflect.LEMMA_TABLE.exists() else ""
        if current != text:
            print(f"{inflect.LEMMA_TABLE} is stale: run python -m pipelines.watch.lemma_table")
            return 1
        return 0
    inflect.LEMMA_TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {inflect.LEMMA_TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
