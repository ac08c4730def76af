"""devset/agreement.py: the second labeller's table and Cohen's kappa."""

import pytest

from tests.devset_scripts import load, needs

pytestmark = needs("agreement")


@pytest.fixture(scope="module")
def agreement():
    return load("agreement")


def test_kappa_against_a_hand_computed_case(agreement):
    # agree on 3 of 4; the first labeller says a twice, the second once: chance (2·1 + 2·3)/16 = 0.5
    observed, kappa = agreement.kappa([("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")])
    assert observed == 0.75
    assert kappa == pytest.approx(0.5)


def test_kappa_of_one_label_on_both_sides_is_agreement(agreement):
    assert agreement.kappa([("a", "a")] * 3) == (1.0, 1.0)
    assert agreement.kappa([("a", "b"), ("b", "a")]) == (0.0, -1.0)


def test_second_labels_name_known_articles_once_with_known_labels(agreement):
    rows = agreement.pairs_by_article()
    assert len(rows) == len({r["id"] for r in rows}) == 2131
    assert {r["second"] for r in rows} <= set(agreement.LABELS)
    assert {r["ours"] for r in rows} <= set(agreement.LABELS)


def test_three_readers_decide_by_majority_and_doubt_when_all_differ(agreement):
    assert agreement.majority(("irrelevant", "borderline", "borderline")) == "borderline"
    assert agreement.majority(("irrelevant", "borderline", "irrelevant")) == "irrelevant"
    assert agreement.majority(("relevant", "borderline", "irrelevant")) == "borderline"


def test_a_third_label_decides_only_where_the_first_two_differ(agreement):
    """The third reader read contested articles among decoys on which the first two agree; only
    the contested ones can change label, and only to a label one of the first two gave or to
    borderline."""
    thirds = agreement.read_table("third-labels.tsv")
    seconds = {r["id"]: r for r in agreement.pairs_by_article()}
    assert len(thirds) == len({r["id"] for r in thirds}) == 275
    assert {r["id"] for r in thirds} <= set(seconds)
    assert {r["label"] for r in thirds} <= set(agreement.LABELS)
    decided = agreement.adjudicated()
    assert decided and all(seconds[i]["ours"] != seconds[i]["second"] for i in decided)
    assert all(label in (seconds[i]["ours"], seconds[i]["second"], "borderline") for i, label in decided.items())
    decoys = [r for r in thirds if seconds[r["id"]]["ours"] == seconds[r["id"]]["second"]]
    assert len(decoys) == 184 and len(decided) == 91
