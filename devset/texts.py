"""Where the development set's article texts are: beside the checkout, not in the repository.

The repository keeps what is ours: each article's URL, date, language and label, the reason for a
borderline or hard-negative label (articles.tsv), the split (split.tsv) and the guideline. The
texts are the published pages' own words, so they stay out of it: ``../devset-texts`` beside the
checkout, or ``$NEWSWATCH_DEVSET_TEXTS``, laid out as ``russia_pakistan_security/<split>/<label>/
<id>.<lang>.txt`` (a ``# title`` line, then the text as published). ``read_table(name)`` reads
one of the repository's tables of them.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
DEVSET = Path(__file__).resolve().parent / "russia_pakistan_security"  # labels, split, guideline
TEXTS = Path(os.environ.get("NEWSWATCH_DEVSET_TEXTS") or CHECKOUT.parent / "devset-texts") / "russia_pakistan_security"


# The bundled watch's languages: the six it began with, and the six added with their scripts
CURRENT = ("en", "pl", "ru", "ur", "de", "fr")
NEW = ("uk", "ar", "fa", "hi", "zh", "tr")


def text_path(split: str, row: dict) -> Path:
    """Where an article's text lives: ``<split>/<label>/<id>.<lang>.txt`` under TEXTS (``split``:
    tuning, heldout, or pool before the split), for a row with id, label and lang."""
    return TEXTS / split / row["label"] / f"{row['id']}.{row['lang']}.txt"


def read_table(name: str) -> list[dict]:
    """The rows of one of the development set's tables (``split.tsv``, ``outcomes.tsv``, ...)."""
    with (DEVSET / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))
