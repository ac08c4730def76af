"""Split the pool once into tuning/ and heldout/ (run once; the split is then in split.tsv).

Stratified by (language, label): within each stratum the articles are shuffled with a fixed
seed and alternately assigned, so each split gets half (the held-out split the extra one).
The files are moved from pool/<label>/ to <split>/<label>/ and split.tsv records id -> split.
Never re-run after tuning started: the held-out split must stay the one recorded.
"""
from __future__ import annotations

import csv
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "russia_pakistan_security"  # labels, split, guideline
sys.path.insert(0, str(Path(__file__).resolve().parent))
from texts import TEXTS  # noqa: E402  (the article texts: outside the repository)

SEED = 20251129


def assign(rows: list[dict], seed: int = SEED) -> list[tuple[dict, str]]:
    """(row, split) for ``rows``: stratified by (language, label), each stratum sorted by id,
    shuffled with ``seed`` and alternately assigned, the held-out split first. split_new.py
    applies the same to each later batch."""
    strata = defaultdict(list)
    for row in rows:
        strata[(row["lang"], row["label"])].append(row)
    rng = random.Random(seed)
    assigned = []
    for key in sorted(strata):
        members = sorted(strata[key], key=lambda r: r["id"])
        rng.shuffle(members)
        for i, row in enumerate(members):
            assigned.append((row, "heldout" if i % 2 == 0 else "tuning"))
    return assigned


def main() -> None:
    if (ROOT / "split.tsv").exists():
        raise SystemExit("split.tsv exists: the split is made once")
    rows = list(csv.DictReader((ROOT / "articles.tsv").open(encoding="utf-8"), delimiter="\t"))
    assigned = assign(rows)
    for row, split in assigned:
        name = f"{row['id']}.{row['lang']}.txt"
        source = TEXTS / "pool" / row["label"] / name
        target = TEXTS / split / row["label"] / name
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)
    with (ROOT / "split.tsv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["id", "lang", "label", "split"])
        for row, split in sorted(assigned, key=lambda a: a[0]["id"]):
            writer.writerow([row["id"], row["lang"], row["label"], split])
    for label_dir in (TEXTS / "pool").glob("*"):
        label_dir.rmdir()
    (TEXTS / "pool").rmdir()


if __name__ == "__main__":
    main()
