"""Article-body accuracy on the 181 real pages of the article-extraction benchmark.

The metric lives in bench/extraction_f1.py (one implementation, shared with the bench script).
"""
from __future__ import annotations

import pytest

from bench.extraction_f1 import mean_scores, page_scores, run
from tests.shared_data import require_shared

pytestmark = pytest.mark.slow  # extracts 181 real pages

MIN_F1 = 0.95


def test_metric_matches_the_benchmark_definition():
    text = "one two three four five six"
    assert page_scores(text, text) == (1.0, 0.0, 0.0)
    # 3 shingles each, 2 shared ("two three four five", "three four five six"): 2 TP, 1 FP, 1 FN
    tp, fp, fn = page_scores("one two three four five six", "two three four five six seven")
    assert (tp, fp, fn) == pytest.approx((2 / 4, 1 / 4, 1 / 4))
    # case matters, punctuation does not
    assert page_scores("A b c d", "a b c d")[0] == 0.0
    assert page_scores("a, b. c! d", "a b c d") == (1.0, 0.0, 0.0)
    # fewer than four tokens still make one (short) shingle
    assert page_scores("a b", "a b") == (1.0, 0.0, 0.0)
    # an empty prediction is left out of precision but scores 0 recall
    scores = mean_scores([page_scores("a b c d", ""), page_scores("e f g h", "e f g h")])
    assert scores["precision"] == 1.0 and scores["recall"] == 0.5
    # F1 is the harmonic mean of the averaged P and R
    assert scores["f1"] == pytest.approx(2 * 1.0 * 0.5 / 1.5)


def test_benchmark_f1():
    data_dir = require_shared("article-extraction-benchmark")
    scores = run(data_dir)
    assert scores["pages"] == 181
    assert scores["f1"] >= MIN_F1, scores
