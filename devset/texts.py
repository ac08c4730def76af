"""Where the development set's article texts are: beside the checkout, not in the repository.

The repository keeps what is ours: each article's URL, date, language and label, the reason for a
borderline or hard-negative label (articles.tsv), the split (split.tsv) and the guideline. The
texts are the published pages' own words, so they stay out of it: ``../devset-texts`` beside the
checkout, or ``$NEWSWATCH_DEVSET_TEXTS``, laid out as ``russia_pakistan_security/<split>/<label>/
<id>.<lang>.txt`` (a ``# title`` line, then the text as published).
"""
from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
TEXTS = Path(os.environ.get("NEWSWATCH_DEVSET_TEXTS") or CHECKOUT.parent / "devset-texts") / "russia_pakistan_security"
