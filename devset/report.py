"""Figures of a watch on the development set, per split and language.

    .venv/bin/python devset/report.py [WATCH.toml] [--misses [--split=tuning]] [--by-collection]
    .venv/bin/python devset/report.py --record     # write outcomes.tsv for the texts present
    .venv/bin/python devset/report.py --adjudicated  # labels in doubt as three readers decide them
    .venv/bin/python devset/report.py --present    # only the texts present, all measured now

For each split (tuning, heldout) and language: recall on relevant/, false-positive rate on
irrelevant/ (all of them hard negatives: every one names Russia or Pakistan or both), and how
many borderline/ articles fire (reported, not scored). --misses lists the wrong ones
(--split=tuning: only the tuning split's, the ones to read when looking for causes).
--by-collection also reports each collection apart (articles 001-142, 143-303, 304-411, 412-504,
505-594, 595-710, 711-804, 805-897, 898-984, 985-1097,
1098-1185, 1186-1285, 1286-1458,
1459-1572, 1573-1656, 1657-1811, 1812-2002, 2003-2117, 2118-2354, 2355-2791, 2792-2873), each on both splits.

The texts live outside the repository and a new machine starts without them; restore.py finds
most again, not always all. So each article's last outcome is recorded in outcomes.tsv (fired,
score, and a digest of the watch file and the matching code it was measured with): the figures
are the texts present, measured now, plus the recorded outcome of each text absent here, and the
report says how many of each there are, and how many were recorded with another version of the
watch or the matching code.

--present leaves out the recorded outcomes: every figure is then the watch as it is now, on the
texts this machine has (which a restore brings back unevenly: older collections more fully).

--adjudicated scores the articles on which a second and a third reader were asked (agreement.py)
with the label the three readers give, where the first two differ; the texts stay where they are.
"""
from __future__ import annotations

import hashlib
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.watch import Matcher, load_watch  # noqa: E402
from pipelines.watch.evaluate import read_example  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agreement import adjudicated  # noqa: E402
from texts import CURRENT, DEVSET, NEW, read_table, text_path  # noqa: E402

WATCH = ROOT / "crawler" / "watchlists" / "russia_pakistan_security.toml"
# Articles were collected in twenty-one batches, each split before any change was made with it:
# 001-142 by split_once.py, the others (143-303 ... 2792-2873) by split_new.py.
COLLECTIONS = (("first", 1, 142, "first collection (001-142)"), ("added", 143, 303, "second collection (143-303)"),
               ("third", 304, 411, "third collection (304-411)"), ("fourth", 412, 504, "fourth collection (412-504)"),
               ("fifth", 505, 594, "fifth collection (505-594)"), ("sixth", 595, 710, "sixth collection (595-710)"),
               ("seventh", 711, 804, "seventh collection (711-804)"),
               ("eighth", 805, 897, "eighth collection (805-897)"),
               ("ninth", 898, 984, "ninth collection (898-984)"),
               ("tenth", 985, 1097, "tenth collection (985-1097)"),
               ("eleventh", 1098, 1185, "eleventh collection (1098-1185)"),
               ("twelfth", 1186, 1285, "twelfth collection (1186-1285)"),
               ("thirteenth", 1286, 1458, "thirteenth collection (1286-1458)"),
               ("fourteenth", 1459, 1572, "fourteenth collection (1459-1572)"),
               ("fifteenth", 1573, 1656, "fifteenth collection (1573-1656)"),
               ("sixteenth", 1657, 1811, "sixteenth collection (1657-1811)"),
               ("seventeenth", 1812, 2002, "seventeenth collection (1812-2002)"),
               ("eighteenth", 2003, 2117, "eighteenth collection (2003-2117)"),
               ("nineteenth", 2118, 2354, "nineteenth collection (2118-2354)"),
               ("twentieth", 2355, 2791, "twentieth collection (2355-2791)"),
               ("twenty-first", 2792, 2873, "twenty-first collection (2792-2873)"))
OUTCOMES = DEVSET / "outcomes.tsv"
OUTCOME_FIELDS = ("id", "measured_with", "fired", "score")
# The code that turns a watch and a text into an outcome: a change to it can change outcomes as
# surely as a change to the watch file.
MATCHING_CODE = ROOT / "pipelines" / "watch"


def collection(ident: str) -> str:
    """The name of an article's collection ("first", "added", "third"; COLLECTIONS), from its id."""
    number = int(ident.split("-")[0])
    return next(name for name, first, last, _ in COLLECTIONS if first <= number <= last)


def watch_digest(watch_path: Path = WATCH) -> str:
    """Which version of the watch and of the matching code an outcome was measured with: the first
    12 hex digits of the sha256 of the watch file and of each file in pipelines/watch (sources and
    the lemma table), in name order."""
    digest = hashlib.sha256(Path(watch_path).read_bytes())
    for path in sorted(MATCHING_CODE.glob("*.py")) + sorted(MATCHING_CODE.glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def recorded_outcomes() -> dict[str, dict]:
    """{article id: {"measured_with", "fired" (bool), "score" (float)}} from outcomes.tsv."""
    if not OUTCOMES.exists():
        return {}
    return {r["id"]: {"measured_with": r["measured_with"], "fired": r["fired"] == "1", "score": float(r["score"])}
            for r in read_table("outcomes.tsv")}


def measure(watch_path: Path = WATCH, only: str | None = None) -> dict[str, dict]:
    """{article id: {"fired", "score"}} for every text present here (``only``: of one collection)."""
    matcher = Matcher([load_watch(watch_path)])
    out = {}
    for row in read_table("split.tsv"):
        path = text_path(row["split"], row)
        if (only is None or collection(row["id"]) == only) and path.exists():
            result = matcher.explain(read_example(path))[0]
            out[row["id"]] = {"fired": result.fired, "score": result.score}
    return out


def record(watch_path: Path = WATCH) -> tuple[int, int]:
    """Write the outcome of every text present into outcomes.tsv, keeping the recorded outcomes of
    the texts absent here; returns (measured now, kept from before)."""
    outcomes = recorded_outcomes()
    digest = watch_digest(watch_path)
    measured = measure(watch_path)
    for ident, result in measured.items():
        outcomes[ident] = {"measured_with": digest, **result}
    order = [r["id"] for r in read_table("split.tsv")]
    with OUTCOMES.open("w", encoding="utf-8", newline="") as f:
        f.write("\t".join(OUTCOME_FIELDS) + "\n")
        for ident in order:
            if ident in outcomes:
                o = outcomes[ident]
                f.write(f"{ident}\t{o['measured_with']}\t{int(o['fired'])}\t{o['score']:.10g}\n")
    return len(measured), len(outcomes) - len(measured)


def figures(watch_path: Path = WATCH, only: str | None = None,
            labels: dict[str, str] | None = None, present: bool = False,
            measured: dict[str, dict] | None = None) -> tuple[dict, list, dict]:
    """{split: {lang: {label: [n, fired]}}}, the list of wrong articles, and where the outcomes came
    from ({"measured": n, "recorded": n, "recorded_other_watch": n, "unknown": n}). A text present
    here is measured now; an absent one counts with its recorded outcome (outcomes.tsv), or not at
    all when none is recorded. ``only`` (a collection's name) keeps one collection; ``labels``
    ({id: label}) scores those articles with another label than their folder's (--adjudicated);
    ``present`` leaves the recorded outcomes out (--present). ``measured``: what ``measure``
    returned for this watch, when the caller has it already (matching every text takes a while)."""
    if measured is None:
        measured = measure(watch_path, only)
    recorded = recorded_outcomes()
    digest = watch_digest(watch_path)
    lost = {r["id"] for r in read_table("unavailable.tsv")}
    table: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: [0, 0])))
    wrong = []
    sources = {"measured": 0, "recorded": 0, "recorded_other_watch": 0, "unknown": 0}
    for row in read_table("split.tsv"):
        ident, split, lang = row["id"], row["split"], row["lang"]
        label = (labels or {}).get(ident, row["label"])
        if ident in lost or (only and collection(ident) != only):
            continue
        if ident in measured:
            fired, score = measured[ident]["fired"], measured[ident]["score"]
            sources["measured"] += 1
        elif present:
            continue
        elif ident in recorded:
            fired, score = recorded[ident]["fired"], recorded[ident]["score"]
            sources["recorded"] += 1
            sources["recorded_other_watch"] += recorded[ident]["measured_with"] != digest
        else:
            sources["unknown"] += 1
            continue
        cell = table[split][lang][label]
        cell[0] += 1
        cell[1] += int(fired)
        if label != "borderline" and fired != (label == "relevant"):
            wrong.append((split, label, text_path(split, row).name, score))
    return table, wrong, sources


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


def describe(sources: dict) -> str:
    line = f"  outcomes: {sources['measured']} measured now"
    if sources["recorded"]:
        line += (f", {sources['recorded']} recorded in outcomes.tsv (texts absent here; "
                 f"{sources['recorded_other_watch']} of them with another version of the watch)")
    if sources["unknown"]:
        line += f", {sources['unknown']} not scored (texts absent here, no outcome recorded)"
    return line


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv if not a.startswith("--")]
    watch = paths[0] if paths else WATCH
    if "--record" in argv:
        measured, kept = record(watch)
        print(f"outcomes.tsv: {measured} measured now with watch and matcher {watch_digest(watch)}, {kept} kept from before")
        return 0
    labels = adjudicated() if "--adjudicated" in argv else None
    present = "--present" in argv
    measured = measure(watch)  # once: each collection's figures reuse it
    table, wrong, sources = figures(watch, labels=labels, present=present, measured=measured)
    if labels is not None:
        print(f"labels: {len(labels)} articles whose first two labels differ scored with the three readers' label")
    print(render(table))
    print(describe(sources))
    lost = read_table("unavailable.tsv")
    if lost:  # labelled and split, but their texts could not be copied again: not scored
        print(f"  not scored: {len(lost)} articles whose texts are unavailable (unavailable.tsv)")
    if "--by-collection" in argv:
        for only, _, _, name in COLLECTIONS:
            print(f"\n== {name} ==")
            print(render(figures(watch, only, labels, present, measured)[0]))
    if "--misses" in argv:
        splits = [a.split("=", 1)[1] for a in argv if a.startswith("--split=")]
        for split, label, name, score in wrong:
            if splits and split not in splits:
                continue
            print(f"  {split} {'missed' if label == 'relevant' else 'false alarm'}: {name} ({score:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
