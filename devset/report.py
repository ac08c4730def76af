"""Figures of a watch on the development set, per split and language.

    .venv/bin/python devset/report.py [WATCH.toml] [--misses] [--by-collection]

For each split (tuning, heldout) and language: recall on relevant/, false-positive rate on
irrelevant/ (all of them hard negatives: every one names Russia or Pakistan or both), and how
many borderline/ articles fire (reported, not scored). --misses lists the wrong ones.
--by-collection also reports the first collection (articles 001-142) and the articles added
later (143-) apart, each on both splits.
"""
from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.watch import Matcher, load_watch  # noqa: E402
from pipelines.watch.evaluate import read_example  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from texts import TEXTS  # noqa: E402

DEVSET = Path(__file__).resolve().parent / "russia_pakistan_security"  # labels, split, guideline
WATCH = ROOT / "crawler" / "watchlists" / "russia_pakistan_security.toml"
CURRENT = ("en", "pl", "ru", "ur", "de", "fr")
FIRST_COLLECTION = 142  # articles 001-142 were collected and split first (split_once.py)
NEW = ("uk", "ar", "fa", "hi", "zh", "tr")


def collection(path: Path) -> str:
    """"first" for the articles of the first collection (001-142), "added" for later ones."""
    return "first" if int(path.name.split("-")[0]) <= FIRST_COLLECTION else "added"


def figures(watch_path: Path = WATCH, only: str | None = None) -> dict:
    """{split: {lang: {label: [n, fired]}}} and the list of wrong files; ``only`` = "first" or
    "added" keeps one collection."""
    matcher = Matcher([load_watch(watch_path)])
    table: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: [0, 0])))
    wrong = []
    for split in ("tuning", "heldout"):
        for label in ("relevant", "irrelevant", "borderline"):
            for path in sorted((TEXTS / split / label).glob("*.txt")):
                if only and collection(path) != only:
                    continue
                lang = path.suffixes[-2][1:]
                result = matcher.explain(read_example(path))[0]
                cell = table[split][lang][label]
                cell[0] += 1
                cell[1] += int(result.fired)
                if label != "borderline" and result.fired != (label == "relevant"):
                    wrong.append((split, label, path.name, result.score))
    return table, wrong


def _rate(cell, invert=False):
    n, fired = cell
    if not n:
        return "    -    "
    return f"{fired}/{n} {fired / n:4.2f}"


def render(table) -> str:
    lines = []
    for split in ("tuning", "heldout"):
        lines.append(f"{split}: language  recall(relevant)  false positives(hard negatives)  borderline fired")
        groups = (("current six", CURRENT), ("new six", NEW))
        for lang in CURRENT + NEW:
            row = table[split][lang]
            lines.append(f"  {lang}   {_rate(row['relevant']):>12}   {_rate(row['irrelevant']):>12}   "
                         f"{_rate(row['borderline']):>12}")
        for name, langs in groups:
            total = {label: [sum(table[split][l][label][i] for l in langs) for i in (0, 1)]
                     for label in ("relevant", "irrelevant", "borderline")}
            lines.append(f"  {name}: recall {_rate(total['relevant'])}, false positives "
                         f"{_rate(total['irrelevant'])}, borderline fired {_rate(total['borderline'])}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv if not a.startswith("--")]
    watch = paths[0] if paths else WATCH
    table, wrong = figures(watch)
    print(render(table))
    if "--by-collection" in argv:
        for only, name in (("first", "first collection (001-142)"), ("added", "added articles (143-)")):
            print(f"\n== {name} ==")
            print(render(figures(watch, only)[0]))
    if "--misses" in argv:
        for split, label, name, score in wrong:
            print(f"  {split} {'missed' if label == 'relevant' else 'false alarm'}: {name} ({score:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
