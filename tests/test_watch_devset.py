"""The bundled watch on the held-out split of the real-text development set (devset/).

The figures asserted are the ones measured when this test was written (see the GUIDELINE and
devset/report.py); the held-out split was only run to check changes, never read for them.
Per-language figures for the new languages rest on one to three articles each.

The texts live outside the repository and a machine may have only some of them (restore.py finds
most, not always all): every text present is scored now and must score as outcomes.tsv records;
the figures count the texts present and the recorded outcomes of the absent ones.
"""
import hashlib
from pathlib import Path

import pytest

from tests.devset_scripts import load, needs

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "devset"
pytestmark = needs("report")


SET = DEVSET / "russia_pakistan_security"  # labels, split and guideline; the texts live outside the tree


def _texts():
    """The article texts (devset/texts.py says where), or skip saying where they were looked for."""
    texts = load("texts").TEXTS
    if not (texts / "heldout").is_dir():
        pytest.skip(f"the development set's article texts are not at {texts} (set NEWSWATCH_DEVSET_TEXTS): "
                    "the published pages' words are kept out of the repository")
    return texts
# sha256 of the 142 rows of the first split (split_once.py), as recorded when it was made
FIRST_SPLIT_SHA256 = "485c5df9a6ca93f88335ec6747d8515ef21013e7e1467f2a835a440661eaa921"


@pytest.fixture(scope="module")
def report():
    return load("report")


@pytest.fixture(scope="module")
def measured(report):
    """Every text present, matched once for the module: each match of ~1,000 texts takes seconds."""
    return report.measure()


@pytest.fixture(scope="module")
def table(report, measured):
    return report, report.figures(measured=measured)[0]


def test_present_texts_score_as_recorded(report, measured):
    """Each text present here, scored by the bundled watch now, gives the outcome recorded for it
    in outcomes.tsv with this version of the watch file and the matching code: the recorded figures are the watch's."""
    _texts()
    assert measured, "no texts present"
    recorded = report.recorded_outcomes()
    digest = report.watch_digest()
    stale = sorted(i for i in measured if i in recorded and recorded[i]["measured_with"] != digest)
    stale_count = len(stale)  # counted, not shown: pytest would print the list, held-out ids and all
    assert stale_count == 0, f"outcomes recorded with another watch for {_named(stale)}: run devset/report.py --record"
    differ = [i for i, m in measured.items()
              if i not in recorded or (recorded[i]["fired"], round(recorded[i]["score"], 6))
              != (m["fired"], round(m["score"], 6))]
    differ_count = len(differ)
    assert differ_count == 0, f"scored otherwise than recorded: {_named(differ)}"


def _named(ids: list[str]) -> str:
    """How many, with the tuning split's ids: the held-out split is not read article by article."""
    split_of = {r["id"]: r["split"] for r in _rows("split.tsv")}
    tuning = [i for i in ids if split_of.get(i) == "tuning"]
    return f"{len(ids)} texts ({len(ids) - len(tuning)} held out; tuning: {', '.join(tuning) or 'none'})"


def test_figures_count_every_recorded_outcome(report, measured):
    """No article counts twice or goes missing: the figures count each article not lost exactly once,
    measured or recorded, and the articles never measured here or before are the ones listed."""
    sources = report.figures(measured=measured)[2]
    lost = {r["id"] for r in _rows("unavailable.tsv")}
    assert sources["measured"] + sources["recorded"] + sources["unknown"] == 2873 - len(lost)
    assert sources["unknown"] == NEVER_MEASURED


@pytest.fixture(scope="module")
def collections(report, measured):
    """{collection name: figures of that collection alone}."""
    return report, {name: report.figures(only=name, measured=measured)[0] for name, *_ in report.COLLECTIONS}


def _total(table, split, langs, label):
    n = sum(table[split][lang][label][0] for lang in langs)
    fired = sum(table[split][lang][label][1] for lang in langs)
    return n, fired


def _rows(name):
    return load("texts").read_table(name)  # the scripts' one reader of the tables


def test_split_is_the_recorded_one():
    rows = (SET / "split.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == len(_rows("articles.tsv")) == 2873  # every article has its split, once
    first = "".join(row + "\n" for row in rows[:142])
    assert hashlib.sha256(first.encode()).hexdigest() == FIRST_SPLIT_SHA256  # nothing moved
    assert len({row.split("\t")[0] for row in rows}) == len(rows)
    texts = _texts()
    lost = {r["id"] for r in _rows("unavailable.tsv")}  # texts that could not be copied again
    assert len(lost) == 41
    where = {}
    for row in rows:
        ident, lang, label, split = row.split("\t")
        where[f"{ident}.{lang}.txt"] = (split, label)
    present = list(texts.glob("*/*/*.txt"))
    for path in present:  # each text present is a row's, in its split and label, and not a lost one
        assert where.get(path.name) == (path.parts[-3], path.parts[-2]), path
        assert path.name.split(".")[0] not in lost, path
    assert not (texts / "pool").exists()  # every article has its split


def test_texts_are_the_ones_measured():
    """Every text is the one the figures were measured on: its sha256 is recorded (texts.sha256.tsv,
    written by split_new.py), so a copy made again from the corpus, or an edit, shows here."""
    texts = _texts()
    recorded = {r["id"]: r["sha256"] for r in _rows("texts.sha256.tsv")}
    lost = {r["id"] for r in _rows("unavailable.tsv")}
    # the texts lost later keep their hash, so a copy found again can be checked against it
    assert set(recorded) | lost == {r["id"] for r in _rows("articles.tsv")}
    paths = {row["id"]: texts / row["split"] / row["label"] / f"{row['id']}.{row['lang']}.txt"
             for row in _rows("split.tsv") if row["id"] not in lost}
    changed = [ident for ident, path in paths.items()
               if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() != recorded[ident]]
    assert changed == []
    assert not list(SET.glob("*/*/*.txt")), "article texts belong outside the repository (devset/texts.py)"


@pytest.mark.parametrize("collection", ["added", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth", "twenty-first"])
def test_later_collections_split_by_the_first_splits_procedure(collection):
    """Each later collection was split by split_new.py: same strata, seed and alternation,
    applied to that collection alone, before any change was made with it; recomputing it gives
    the recorded assignment."""
    report = load("report")
    _, first, last, _ = next(c for c in report.COLLECTIONS if c[0] == collection)
    new = [r for r in _rows("articles.tsv") if first <= int(r["id"].split("-")[0]) <= last]
    recorded = {r["id"]: r["split"] for r in _rows("split.tsv")}
    assigned = load("split_new").assign(new)
    assert len(assigned) == last - first + 1
    assert {row["id"]: split for row, split in assigned} == {r["id"]: recorded[r["id"]] for r in new}


def test_heldout_current_languages(table):
    report, t = table
    assert _total(t, "heldout", report.CURRENT, "relevant") == (602, 561)  # 0.93
    assert _total(t, "heldout", report.CURRENT, "irrelevant") == (452, 29)  # 6.4 %


def test_heldout_with_the_three_readers_labels(report, measured):
    """Where the first two labellers differ and a third read the text, the three readers' label;
    the same outcomes (agreement.py, report.py --adjudicated). Some of the false positives are
    articles the readers call borderline, and the targets are still not met."""
    t = report.figures(labels=load("agreement").adjudicated(), measured=measured)[0]
    assert _total(t, "heldout", report.CURRENT, "relevant") == (603, 561)  # 0.93
    assert _total(t, "heldout", report.CURRENT, "irrelevant") == (441, 27)  # 6.1 %
    assert _total(t, "heldout", report.NEW, "irrelevant") == (131, 5)


def test_heldout_new_languages(table):
    report, t = table
    assert _total(t, "heldout", report.NEW, "relevant") == (129, 119)
    assert _total(t, "heldout", report.NEW, "irrelevant") == (134, 8)


# Held-out figures per collection: (relevant in the current six, hard negatives in all twelve), each
# (articles, fired). The newer collections score lower: the watch was tuned on the older ones
# (baseline-*-before-tuning.txt: each collection on arrival; figures-after-tuning.txt: now).
HELD_OUT_BY_COLLECTION = {
    "added": ((28, 27), (40, 1)), "third": ((24, 23), (20, 0)), "fourth": ((26, 25), (13, 1)),
    "fifth": ((30, 29), (11, 1)), "sixth": ((41, 40), (16, 0)), "seventh": ((28, 25), (12, 0)),
    "eighth": ((26, 26), (16, 1)), "ninth": ((21, 18), (19, 3)), "tenth": ((29, 27), (20, 0)),
    "eleventh": ((23, 21), (14, 0)), "twelfth": ((21, 19), (20, 0)), "thirteenth": ((42, 37), (35, 4)),
    "fourteenth": ((25, 19), (22, 2)), "fifteenth": ((18, 16), (20, 2)),
    "sixteenth": ((31, 29), (31, 4)), "seventeenth": ((32, 31), (44, 3)),
    "eighteenth": ((14, 14), (31, 5)), "nineteenth": ((36, 34), (45, 2)),
    "twentieth": ((59, 55), (104, 8)), "twenty-first": ((17, 16), (21, 0)),
}
# Articles with no outcome to count: texts absent on the machine that recorded outcomes.tsv, and
# never measured before it (outcomes were first recorded on 2026-11-30 with 828 of 1,140 texts, then
# with 1,064 after the restore of the third session of 2026-11-30, and with 855 on the fourth, whose
# restore brought back 5 texts never measured before; the restore of the sixth brought back 863
# and 952, given up as lost before, and 2 more never measured; the eighth's, 1 more; the ninth's,
# 379 and 944, given up as lost before; the eleventh's, 2 more (one relevant, one hard negative,
# both held out, both fire); the fifteenth's, 1 more (a tuning relevant one, which fires); the
# sixteenth's (2026-12-01), 1 more (again a tuning relevant one, which fires);
# at the last full measurement, commit 86c0220, the held-out current six stood at 292/318 and
# 7/192). A restore that brings texts back, then `report.py --record`, lowers it.
NEVER_MEASURED = 49


def test_heldout_per_collection(collections):
    report, figures = collections
    both = report.CURRENT + report.NEW
    measured = {name: (_total(figures[name], "heldout", report.CURRENT, "relevant"),
                       _total(figures[name], "heldout", both, "irrelevant"))
                for name in HELD_OUT_BY_COLLECTION}
    assert measured == HELD_OUT_BY_COLLECTION


@pytest.mark.slow  # a whole crawl of a local site
def test_the_whole_pipeline_scores_the_texts_as_the_matcher_does(report, measured):
    """devset/crawl.py: every text present served as a page of a local site (its first line the
    headline when it reads as one), crawled by `newswatch crawl` (Scrapy, trafilatura, language
    detection, the store) and matched. All but 1 in 100 pages are stored, their language detected as labelled,
    and it fires as the stored text does when matched directly, for all but 1 in 100: a page has a
    paragraph per line where a stored text may group its lines by blank ones, and a headline read as
    the page's title weighs as a title (on 2026-11-30, 2 of 1,102 differed, one of each, both tuning
    articles)."""
    texts = load("texts")
    _texts()
    # the texts the module measured: one restored since (a restore running beside the tests) has no
    # direct outcome to compare with
    rows = [r for r in _rows("split.tsv") if r["id"] in measured and texts.text_path(r["split"], r).exists()]
    crawled, _ = load("crawl").run(rows)
    direct = measured
    # a page trafilatura finds no article in is not stored: a three-sentence brief, or an excerpt
    # the corpus kept as raw markup (2 of the twentieth collection's on 2026-11-30)
    assert set(crawled) <= {r["id"] for r in rows}
    assert len(rows) - len(crawled) <= len(rows) / 100, f"{len(rows) - len(crawled)} pages not stored"
    labelled = {r["id"]: r["lang"] for r in rows}
    misdetected = [i for i, c in crawled.items() if c["language"] != labelled[i]]
    assert len(misdetected) <= len(rows) / 100, f"{len(misdetected)} languages detected otherwise"
    differ = [i for i, c in crawled.items() if c["fired"] != direct[i]["fired"]]
    # counted, not named: the held-out split's outcomes are not read article by article
    assert len(differ) <= len(rows) / 100, f"{len(differ)} differ: devset/crawl.py names the tuning split's"


def test_present_figures_leave_the_recorded_outcomes_out(report, monkeypatch):
    """--present: the texts measured now and nothing else, so every figure is the watch as it is."""
    rows = [r for r in report.read_table("split.tsv") if r["label"] != "borderline"][:3]
    measured = {r["id"]: {"fired": True, "score": 30.0} for r in rows[:2]}
    recorded = {rows[2]["id"]: {"fired": True, "score": 30.0, "measured_with": "older"}}
    monkeypatch.setattr(report, "measure", lambda *args, **kwargs: measured)
    monkeypatch.setattr(report, "recorded_outcomes", lambda: recorded)

    def scored(table):
        return sum(cell[0] for split in table.values() for lang in split.values() for cell in lang.values())

    table, _, sources = report.figures(present=True)
    assert scored(table) == 2 and sources["measured"] == 2 and sources["recorded"] == 0
    table, _, sources = report.figures()
    assert scored(table) == 3 and sources["recorded"] == 1
