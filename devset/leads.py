"""The watch on each article's lead: its text cut after the first N characters.

    .venv/bin/python devset/leads.py [WATCH.toml] [--chars=400,800,1500] [--heldout]

A brief, a feed summary or a wire lead names each side once or twice and the security words once:
it cannot pile up the repeated mentions a full article gives the score. The development set's
whole texts hide that, because nearly every one is long enough. So this cuts each text present
after its first N characters, at the last line or sentence end past half of them (a cut
mid-sentence would read as a broken sentence, not as a short item), and reports how many relevant
articles still fire and how many hard negatives fire. The labels are the whole article's, so a
lead that does not yet say what the article is about counts as a miss: the figures are for
comparing versions of the watch on the same cuts, not for reading as recall.

Tuning split only, unless --heldout: the held-out split is for checking a change once.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.watch import Matcher, load_watch  # noqa: E402
from pipelines.watch.evaluate import lead, read_example  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import WATCH  # noqa: E402
from texts import CURRENT, NEW, read_table, text_path  # noqa: E402

DEFAULT_CHARS = (400, 800, 1500)


def measure(watch_path: Path, chars: tuple[int, ...], splits: tuple[str, ...]) -> dict:
    """{(split, languages, label, chars): [articles, fired]} over the texts present, where
    languages is "current six" or "new six" and chars 0 is the whole text."""
    matcher = Matcher([load_watch(watch_path)])
    counts: dict = {}
    for row in read_table("split.tsv"):
        path = text_path(row["split"], row)
        if row["split"] not in splits or row["label"] == "borderline" or not path.exists():
            continue
        six = "current six" if row["lang"] in CURRENT else "new six" if row["lang"] in NEW else None
        if six is None:
            continue
        document = read_example(path)
        for n in (0, *chars):
            text = lead(document.text, n) if n else document.text
            fired = matcher.explain(dataclasses.replace(document, text=text))[0].fired
            cell = counts.setdefault((row["split"], six, row["label"], n), [0, 0])
            cell[0] += 1
            cell[1] += int(fired)
    return counts


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv if not a.startswith("--")]
    chars = DEFAULT_CHARS
    for arg in argv:
        if arg.startswith("--chars="):
            chars = tuple(int(n) for n in arg.split("=", 1)[1].split(","))
    splits = ("tuning", "heldout") if "--heldout" in argv else ("tuning",)
    counts = measure(paths[0] if paths else WATCH, chars, splits)
    for split in splits:
        for six in ("current six", "new six"):
            cells = []
            for n in (0, *chars):
                rel = counts.get((split, six, "relevant", n), [0, 0])
                irr = counts.get((split, six, "irrelevant", n), [0, 0])
                cells.append(f"{'whole' if n == 0 else n}: {rel[1]}/{rel[0]} relevant, {irr[1]}/{irr[0]} hard negatives")
            print(f"{split}, {six}: " + "; ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
