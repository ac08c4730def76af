"""The bundled watch on the held-out split of the real-text development set (devset/).

The figures asserted are the ones measured when this test was written (see the GUIDELINE and
devset/report.py); the held-out split was only run to check changes, never read for them.
Per-language figures for the new languages rest on one to three articles each.
"""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "devset"
pytestmark = pytest.mark.skipif(not (DEVSET / "report.py").exists(), reason="no devset/ in this tree")


@pytest.fixture(scope="module")
def table():
    import importlib.util

    spec = importlib.util.spec_from_file_location("devset_report", DEVSET / "report.py")
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    return report, report.figures()[0]


def _total(table, split, langs, label):
    n = sum(table[split][lang][label][0] for lang in langs)
    fired = sum(table[split][lang][label][1] for lang in langs)
    return n, fired


def test_split_is_the_recorded_one():
    rows = (DEVSET / "russia_pakistan_security" / "split.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == 142
    for row in rows:
        ident, lang, label, split = row.split("\t")
        assert (DEVSET / "russia_pakistan_security" / split / label / f"{ident}.{lang}.txt").exists()


def test_heldout_current_languages(table):
    report, t = table
    n, fired = _total(t, "heldout", report.CURRENT, "relevant")
    assert (n, fired) == (31, 30)  # recall 0.968: one Russian analysis missed (see the reply/issue)
    n, fired = _total(t, "heldout", report.CURRENT, "irrelevant")
    assert n == 25 and fired == 0  # no false positive on the hard negatives


def test_heldout_new_languages(table):
    report, t = table
    n, fired = _total(t, "heldout", report.NEW, "relevant")
    assert n == 9 and fired == 9
    n, fired = _total(t, "heldout", report.NEW, "irrelevant")
    assert n == 7 and fired == 0
