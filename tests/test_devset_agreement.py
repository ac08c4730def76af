"""devset/agreement.py: the second labeller's table and Cohen's kappa."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "devset" / "agreement.py"
pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="no devset/ in this tree")


@pytest.fixture(scope="module")
def agreement():
    spec = importlib.util.spec_from_file_location("devset_agreement", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    assert len(rows) == len({r["id"] for r in rows}) == 1236
    assert {r["second"] for r in rows} <= set(agreement.LABELS)
    assert {r["ours"] for r in rows} <= set(agreement.LABELS)
