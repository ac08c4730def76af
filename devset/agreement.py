"""How far a second, independent labeller agrees with the development set's labels.

    .venv/bin/python devset/agreement.py

second-labels.tsv holds the labels of a second labeller who read each text blind: the files
renamed and shuffled, with only the guideline's definitions (What is relevant / borderline / hard
negatives), without our labels, the split, the article's origin or the watch's outcome. This
prints, per split and language group, the share of articles given the same label and Cohen's
kappa, over the three labels and over the articles both called relevant or irrelevant (the two
that are scored), and where the labels differ; then, for the articles the bundled watch gets
wrong by our labels (outcomes.tsv), what the second labeller called them: whether the watch's
errors are errors, or labels in doubt.

third-labels.tsv holds a third reader's labels, read the same way, of every article present on
which the first two differ, shuffled among as many again on which they agree (decoys, so the
reader cannot tell which are in doubt). Where the two differ, the label the three give is the
majority of the three; when all three differ it is borderline, the label for an article in doubt
(``adjudicated``). The rule was fixed before the third labels were read. ``report.py
--adjudicated`` gives the figures with those labels.
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from texts import CURRENT, NEW, read_table  # noqa: E402

LABELS = ("relevant", "borderline", "irrelevant")


def kappa(pairs: list[tuple[str, str]]) -> tuple[float, float]:
    """(observed agreement, Cohen's kappa) of label pairs; kappa is 1.0 when chance agreement is 1."""
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(first[label] * second[label] for label in first) / (n * n)
    return observed, (1.0 if chance == 1 else (observed - chance) / (1 - chance))


def pairs_by_article() -> list[dict]:
    """Each article the second labeller labelled: id, split, lang, ours, second."""
    ours = {r["id"]: r for r in read_table("split.tsv")}
    return [{"id": r["id"], "split": ours[r["id"]]["split"], "lang": ours[r["id"]]["lang"],
             "ours": ours[r["id"]]["label"], "second": r["label"]} for r in read_table("second-labels.tsv")]


def majority(labels: tuple[str, str, str]) -> str:
    """The label at least two of three readers gave, or borderline when all three differ."""
    label, votes = Counter(labels).most_common(1)[0]
    return label if votes >= 2 else "borderline"


def adjudicated(rows: list[dict] | None = None) -> dict[str, str]:
    """{article id: the three readers' label} for each article whose first two labels differ and
    that a third reader labelled; every other article keeps its label. ``rows``: pairs_by_article()
    when the caller has it already."""
    seconds = {r["id"]: r for r in (rows if rows is not None else pairs_by_article())}
    return {r["id"]: majority((seconds[r["id"]]["ours"], seconds[r["id"]]["second"], r["label"]))
            for r in read_table("third-labels.tsv")
            if r["id"] in seconds and seconds[r["id"]]["ours"] != seconds[r["id"]]["second"]}


def third_reader(rows: list[dict]) -> list[str]:
    """Lines on the third reader: agreement on the decoys, and what the three decide where the
    first two differ."""
    thirds = {r["id"]: r["label"] for r in read_table("third-labels.tsv")}
    decoys = [r for r in rows if r["id"] in thirds and r["ours"] == r["second"]]
    same = sum(thirds[r["id"]] == r["ours"] for r in decoys)
    lines = [f"third reader: {len(thirds)} articles; on the {len(decoys)} where the first two agree, "
             f"it agrees with them on {same}"]
    decided = adjudicated(rows)
    contested = [r for r in rows if r["ours"] != r["second"]]
    moves = Counter((r["split"], r["ours"], decided[r["id"]]) for r in contested if r["id"] in decided)
    lines.append(f"  of the {len(contested)} where the first two differ, {len(decided)} read a third time "
                 f"(the others' texts are absent here); our label -> the three's:")
    for (split, ours, final), n in sorted(moves.items()):
        lines.append(f"    {split}: {ours} -> {final}: {n}")
    return lines


def main() -> int:
    rows = pairs_by_article()
    print(f"{len(rows)} articles labelled twice")
    for split in ("tuning", "heldout", None):
        for name, langs in (("current six", CURRENT), ("new six", NEW)):
            chosen = [r for r in rows if (split is None or r["split"] == split) and r["lang"] in langs]
            if not chosen:
                continue
            three = [(r["ours"], r["second"]) for r in chosen]
            scored = [p for p in three if "borderline" not in p]
            agree3, kappa3 = kappa(three)
            agree2, kappa2 = kappa(scored)
            print(f"  {split or 'both splits'}, {name}: {len(three)} articles, three labels agree "
                  f"{agree3:.3f} (kappa {kappa3:.2f}); relevant/irrelevant, {len(scored)} both decided: "
                  f"agree {agree2:.3f} (kappa {kappa2:.2f})")
    differ = Counter((r["ours"], r["second"]) for r in rows if r["ours"] != r["second"])
    print("  labels that differ (ours -> second): " + ", ".join(
        f"{a} -> {b}: {n}" for (a, b), n in sorted(differ.items())))
    fired = {r["id"]: r["fired"] == "1" for r in read_table("outcomes.tsv")}
    for split in ("tuning", "heldout"):
        for ours, error in (("relevant", "missed"), ("irrelevant", "false positives")):
            wrong = [r for r in rows if r["split"] == split and r["ours"] == ours and r["id"] in fired
                     and fired[r["id"]] != (ours == "relevant")
                     and (r["lang"] in CURRENT or ours == "irrelevant")]
            seconds = Counter(r["second"] for r in wrong)
            print(f"  {split}, watch {error} ({len(wrong)}): second labeller says "
                  + ", ".join(f"{label} {seconds[label]}" for label in LABELS if seconds[label]))
    print("\n".join(third_reader(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
