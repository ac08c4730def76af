"""Figures of a watch on the development set, per split and language.

    .venv/bin/python devset/report.py [WATCH.toml] [--misses [--split=tuning]] [--by-collection]

For each split (tuning, heldout) and language: recall on relevant/, false-positive rate on
irrelevant/ (all of them hard negatives: every one names Russia or Pakistan or both), and how
many borderline/ articles fire (reported, not scored). --misses lists the wrong ones
(--split=tuning: only the tuning split's, the ones to read when looking for causes).
--by-collection also reports each collection apart (articles 001-142, 143-303, 304-411, 412-504,
505-594, 595-710, 711-804, 805-897, 898-984, 985-1097,
1098-1185), each on both splits.
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
# Articles were collected in eleven batches, each split before any change was made with it:
# 001-142 by split_once.py, the others (143-303 ... 1098-1185) by split_new.py.
COLLECTIONS = (("first", 1, 142, "first collection (001-142)"), ("added", 143, 303, "second collection (143-303)"),
               ("third", 304, 411, "third collection (304-411)"), ("fourth", 412, 504, "fourth collection (412-504)"),
               ("fifth", 505, 594, "fifth collection (505-594)"), ("sixth", 595, 710, "sixth collection (595-710)"),
               ("seventh", 711, 804, "seventh collection (711-804)"),
               ("eighth", 805, 897, "eighth collection (805-897)"),
               ("ninth", 898, 984, "ninth collection (898-984)"),
               ("tenth", 985, 1097, "tenth collection (985-1097)"),
               ("eleventh", 1098, 1185, "eleventh collection (1098-1185)"))
NEW = ("uk", "ar", "fa", "hi", "zh", "tr")


def collection(path: Path) -> str:
    """The name of the article's collection ("first", "added", "third"; COLLECTIONS)."""
    number = int(path.name.split("-")[0])
    return next(name for name, first, last, _ in COLLECTIONS if first <= number <= last)


def figures(watch_path: Path = WATCH, only: str | None = None) -> dict:
    """{split: {lang: {label: [n, fired]}}} and the list of wrong files; ``only`` (a collection's
    name) keeps one collection."""
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
    lost = (DEVSET / "unavailable.tsv").read_text(encoding="utf-8").splitlines()[1:]
    if lost:  # labelled and split, but their texts could not be copied again: not scored
        print(f"  not scored: {len(lost)} articles whose texts are unavailable (unavailable.tsv)")
    if "--by-collection" in argv:
        for only, _, _, name in COLLECTIONS:
            print(f"\n== {name} ==")
            print(render(figures(watch, only)[0]))
    if "--misses" in argv:
        splits = [a.split("=", 1)[1] for a in argv if a.startswith("--split=")]
        for split, label, name, score in wrong:
            if splits and split not in splits:
                continue
            print(f"  {split} {'missed' if label == 'relevant' else 'false alarm'}: {name} ({score:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
