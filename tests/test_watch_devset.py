"""The bundled watch on the held-out split of the real-text development set (devset/).

The figures asserted are the ones measured when this test was written (see the GUIDELINE and
devset/report.py); the held-out split was only run to check changes, never read for them.
Per-language figures for the new languages rest on one to three articles each.
"""
import csv
import hashlib
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "devset"
pytestmark = pytest.mark.skipif(not (DEVSET / "report.py").exists(), reason="no devset/ in this tree")


SET = DEVSET / "russia_pakistan_security"  # labels, split and guideline; the texts live outside the tree


def _texts():
    """The article texts (devset/texts.py says where), or skip saying where they were looked for."""
    texts = _module("texts").TEXTS
    if not (texts / "heldout").is_dir():
        pytest.skip(f"the development set's article texts are not at {texts} (set NEWSWATCH_DEVSET_TEXTS): "
                    "the published pages' words are kept out of the repository")
    return texts
# sha256 of the 142 rows of the first split (split_once.py), as recorded when it was made
FIRST_SPLIT_SHA256 = "485c5df9a6ca93f88335ec6747d8515ef21013e7e1467f2a835a440661eaa921"


def _module(name):
    spec = importlib.util.spec_from_file_location(f"devset_{name}", DEVSET / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report():
    _texts()
    return _module("report")


@pytest.fixture(scope="module")
def table(report):
    return report, report.figures()[0]


@pytest.fixture(scope="module")
def added(report):
    return report, report.figures(only="added")[0]


def _total(table, split, langs, label):
    n = sum(table[split][lang][label][0] for lang in langs)
    fired = sum(table[split][lang][label][1] for lang in langs)
    return n, fired


def test_split_is_the_recorded_one():
    rows = (SET / "split.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == 303
    first = "".join(row + "\n" for row in rows[:142])
    assert hashlib.sha256(first.encode()).hexdigest() == FIRST_SPLIT_SHA256  # nothing moved
    assert len({row.split("\t")[0] for row in rows}) == len(rows)
    texts = _texts()
    for row in rows:
        ident, lang, label, split = row.split("\t")
        assert (texts / split / label / f"{ident}.{lang}.txt").exists()
    assert not (texts / "pool").exists()  # every article has its split
    assert not list(SET.glob("*/*/*.txt")), "article texts belong outside the repository (devset/texts.py)"


def test_added_articles_split_by_the_first_splits_procedure():
    """Articles 143- were split by split_new.py: same strata, seed and alternation, applied to
    them alone; recomputing it gives the recorded assignment."""
    with (SET / "articles.tsv").open(encoding="utf-8") as f:
        new = [r for r in csv.DictReader(f, delimiter="\t") if int(r["id"][:3]) > 142]
    with (SET / "split.tsv").open(encoding="utf-8") as f:
        recorded = {r["id"]: r["split"] for r in csv.DictReader(f, delimiter="\t")}
    assigned = _module("split_new").assign(new)
    assert len(assigned) == 161
    assert {row["id"]: split for row, split in assigned} == {r["id"]: recorded[r["id"]] for r in new}


def test_heldout_current_languages(table):
    report, t = table
    n, fired = _total(t, "heldout", report.CURRENT, "relevant")
    assert (n, fired) == (59, 56)  # 0.95
    n, fired = _total(t, "heldout", report.CURRENT, "irrelevant")
    assert (n, fired) == (47, 0)  # no false positive on the hard negatives


def test_heldout_new_languages(table):
    report, t = table
    n, fired = _total(t, "heldout", report.NEW, "relevant")
    assert (n, fired) == (25, 23)  # 0.92
    n, fired = _total(t, "heldout", report.NEW, "irrelevant")
    assert (n, fired) == (25, 1)


def test_heldout_added_articles(added):
    report, t = added
    assert _total(t, "heldout", report.CURRENT, "relevant") == (28, 26)
    assert _total(t, "heldout", report.NEW, "relevant") == (16, 14)
    assert _total(t, "heldout", report.CURRENT + report.NEW, "irrelevant") == (40, 1)
