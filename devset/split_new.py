"""Split articles added to the pool after the first split, once, by the same procedure.

    .venv/bin/python devset/split_new.py

The first split (``split_once.py``) is never re-drawn and its articles never move. Articles
collected later wait in ``pool/<label>/`` with a row in ``articles.tsv`` and no row in
``split.tsv``. This assigns exactly those: stratified by (language, label), shuffled with the
same seed within each stratum, alternately assigned, the held-out split first (so odd strata
give the extra article to the held-out split, as in the first split). The new rows are appended
to ``split.tsv``; rows already there are neither re-read for assignment nor rewritten.

Run it once per collection batch, before any tuning on the new articles: once an article has a
split it keeps it.
"""
from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "russia_pakistan_security"  # labels, split, guideline
sys.path.insert(0, str(Path(__file__).resolve().parent))
from texts import TEXTS, text_path  # noqa: E402  (the article texts: outside the repository)

from split_once import assign  # noqa: E402  (the first split's procedure and seed)


def main() -> None:
    with (ROOT / "articles.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    with (ROOT / "split.tsv").open(encoding="utf-8") as f:
        done = {r["id"] for r in csv.DictReader(f, delimiter="\t")}
    new = [r for r in rows if r["id"] not in done]
    if not new:
        raise SystemExit("no unsplit articles: every article in articles.tsv has its split")
    missing = [r["id"] for r in new
               if not text_path("pool", r).exists()]
    if missing:
        raise SystemExit(f"not in pool/: {', '.join(missing)}")
    assigned = assign(new)
    for row, split in assigned:
        target = text_path(split, row)
        target.parent.mkdir(parents=True, exist_ok=True)
        text_path("pool", row).rename(target)
    with (ROOT / "split.tsv").open("a", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        for row, split in sorted(assigned, key=lambda a: a[0]["id"]):
            writer.writerow([row["id"], row["lang"], row["label"], split])
    # each text's hash, so a copy made again (the texts live outside the repository) can be checked
    with (ROOT / "texts.sha256.tsv").open("a", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        for row, split in sorted(assigned, key=lambda a: a[0]["id"]):
            text = text_path(split, row)
            writer.writerow([row["id"], hashlib.sha256(text.read_bytes()).hexdigest()])
    for label_dir in (TEXTS / "pool").glob("*"):
        label_dir.rmdir()
    (TEXTS / "pool").rmdir()
    print(f"{len(assigned)} articles split: "
          f"{sum(s == 'tuning' for _, s in assigned)} tuning, {sum(s == 'heldout' for _, s in assigned)} held-out")


if __name__ == "__main__":
    main()
