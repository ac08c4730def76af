"""`newswatch watch export`: analysts' verdicts and missed-article reports written as labelled
examples, split for good into a half to tune on and a half to check on.

The store (real SQLite and PostgreSQL, texts written here): five matches judged relevant, three judged irrelevant,
two articles reported missed (one never stored, one stored and first judged irrelevant as a match,
then reported missed: the newest word counts), and one match nobody judged.
"""
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crawler.cli import main
from pipelines.db import make_engine, session_factory, upgrade
from pipelines.labelled_export import _OWN_FILE, HALVES, example_content, example_name, export, half_of
from pipelines.models import Article, Match
from pipelines.review import record_feedback, report_missed
from pipelines.watch import Document, Matcher, load_watch
from pipelines.watch.evaluate import read_example
from tests.watch_config import config_with_watch

WATCH = """\
[watch]
name = "rp"
threshold = 1

[groups.russia]
terms = ["Russia", "Russian"]

[groups.pakistan]
terms = ["Pakistan", "Pakistani"]

[[rules]]
name = "both"
expr = "russia AND pakistan"
required = true
"""


def _store(tmp_path, url):
    """(config, database url, {title: match id}) of a store on ``url`` (migrated), seeded; one
    article per title."""
    config, watch_path = config_with_watch(tmp_path, "rp", WATCH, url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    titles = [f"Relevant story {i}" for i in range(5)] + [f"Sport story {i}" for i in range(3)]
    titles += ["Later reported missed", "Nobody judged this"]
    with sessions() as session:
        for n, title in enumerate(titles):
            article = Article(url=f"https://news.example/{n}", canonical_url=f"https://news.example/{n}",
                              content_hash=f"{n:064d}", title=title, language="pl" if n == 0 else "en",
                              text=f"{title}: Russia and Pakistan, paragraph {n}.\n\nA second paragraph.",
                              content_origin="page", discovered_via="feed")
            session.add(article)
            session.flush()
            session.add(Match(article_id=article.id, watch="rp", score=1, threshold=1, terms=[], rules=[],
                              snippet="", detail={}))
        session.commit()
        ids = {m.article.title: m.id for m in session.scalars(select(Match))}
        for i in range(5):
            record_feedback(session, ids[f"Relevant story {i}"], "relevant", None)
        for i in range(3):
            record_feedback(session, ids[f"Sport story {i}"], "irrelevant", "sport")
        record_feedback(session, ids["Later reported missed"], "irrelevant", "first thought")
        matcher = Matcher([load_watch(watch_path)])
        report_missed(session, matcher, "rp", Document("Submarine offer", "Russia offers Pakistan submarines.", "en"),
                      url="https://elsewhere.example/submarines")
        stored = session.scalar(select(Article.id).where(Article.title == "Later reported missed"))
        report_missed(session, matcher, "rp", Document("Later reported missed", "A stored article.", "en"),
                      article_id=stored)
    engine.dispose()
    return config, url, ids


def _files(root: Path) -> dict[str, str]:
    """{"half/label": sorted file names} under an export."""
    return {f"{h}/{lab}": sorted(p.name for p in (root / h / lab).glob("*.txt"))
            for h in HALVES for lab in ("relevant", "irrelevant")}


def test_every_labelled_article_is_written_once_in_its_half_and_reads_back(tmp_path, db_url):
    config, url, ids = _store(tmp_path, db_url)
    out = tmp_path / "labelled"
    result = CliRunner().invoke(main, ["--config", str(config), "watch", "export", "rp", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "10 written, 0 unchanged, 0 removed" in result.output  # 5 + 3 + 2 missed; the unjudged one left out
    files = _files(out)
    every = [name for names in files.values() for name in names]
    assert len(every) == 10 and not any("Nobody" in n or "nobody" in n for n in every)
    # the article judged irrelevant, then reported missed: once, as relevant (its newest word)
    (later,) = [key for key, names in files.items() for n in names if "later-reported-missed" in n]
    assert later.endswith("/relevant")
    assert [n for n in every if "later-reported-missed" in n][0].startswith("missed-")
    engine = make_engine(url)
    with session_factory(engine)() as session:
        for article in session.scalars(select(Article).where(Article.title.not_in(
                ["Later reported missed", "Nobody judged this"]))):
            half = half_of(article.canonical_url)
            label = "relevant" if article.title.startswith("Relevant") else "irrelevant"
            name = example_name("match", ids[article.title], article.title, article.language)
            assert name in files[f"{half}/{label}"], (name, files)
            document = read_example(out / half / label / name)
            assert (document.title, document.text, document.language) == (article.title, article.text,
                                                                           article.language)
    engine.dispose()
    # a missed article never stored: its half by its URL
    (submarines,) = [key for key, names in files.items() for n in names if "submarine-offer" in n]
    assert submarines == f"{half_of('https://elsewhere.example/submarines')}/relevant"
    # the halves are what `watch test` and `watch suggest --examples` read
    for half in HALVES:
        if not any(files[f"{half}/{label}"] for label in ("relevant", "irrelevant")):
            continue
        tested = CliRunner().invoke(main, ["--config", str(config), "watch", "test", "rp", "--examples",
                                           str(out / half)], catch_exceptions=False)
        assert tested.exit_code == 0 and "precision" in tested.output


def test_a_second_export_changes_nothing_and_a_changed_verdict_moves_the_file(tmp_path, db_url):
    config, url, ids = _store(tmp_path, db_url)
    out = tmp_path / "labelled"
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as session:
        first = export(session, "rp", out)
        again = export(session, "rp", out)
    assert (first.written, again.written, again.unchanged, again.removed) == (10, 0, 10, 0)
    mine = out / "heldout" / "relevant" / "my-notes.txt"  # an analyst's own file is never touched
    mine.parent.mkdir(parents=True, exist_ok=True)
    mine.write_text("# kept\nnot an export's file\n", encoding="utf-8")
    with sessions() as session:
        record_feedback(session, ids["Relevant story 3"], "irrelevant", "on second reading")
        changed = export(session, "rp", out)
    engine.dispose()
    assert (changed.written, changed.unchanged, changed.removed) == (1, 9, 1)
    name = [n for names in _files(out).values() for n in names if "relevant-story-3" in n]
    assert len(name) == 1
    assert any(name[0] in names for key, names in _files(out).items() if key.endswith("/irrelevant"))
    assert mine.exists()


def test_the_half_of_an_article_is_fixed_by_its_url_and_the_halves_are_even():
    urls = [f"https://news.example/{n}" for n in range(4000)]
    halves = [half_of(u) for u in urls]
    assert halves == [half_of(u) for u in urls]  # the same at every export
    assert 0.46 < halves.count("heldout") / len(halves) < 0.54


def test_an_unwritable_folder_is_a_clear_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'newswatch.db'}"
    upgrade(url)
    config, _, _ = _store(tmp_path, url)
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "watch", "export", "rp", str(blocker / "sub")])
    assert result.exit_code == 1 and "cannot write" in result.output and "Traceback" not in result.output


@settings(max_examples=200, deadline=None)
@given(title=st.text(st.characters(exclude_categories=("Cs",)), max_size=80),
       text=st.text(st.characters(exclude_categories=("Cs",)), max_size=200),
       language=st.one_of(st.none(), st.text(max_size=4)), ident=st.integers(0, 10**9))
def test_any_title_makes_a_safe_file_name_and_the_content_reads_back(tmp_path_factory, title, text, language, ident):
    name = example_name("match", ident, title, language)
    assert _OWN_FILE.match(name) and "/" not in name and name.isascii()
    path = tmp_path_factory.mktemp("example") / name
    path.write_text(example_content(title, text), encoding="utf-8")
    document = read_example(path)
    assert document.title == Document(" ".join(title.split()), "").title
    assert document.text == Document("", text.strip()).text


def test_nothing_judged_yet_says_how_to_judge_and_makes_the_empty_halves(tmp_path):
    config, _ = config_with_watch(tmp_path, "rp", WATCH, f"sqlite:///{tmp_path}/empty.db")
    upgrade(f"sqlite:///{tmp_path}/empty.db")
    result = CliRunner().invoke(main, ["--config", str(config), "watch", "export", "rp", str(tmp_path / "out")],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "no verdicts or missed-article reports for rp yet" in result.output
    assert all(not names for names in _files(tmp_path / "out").values())
    assert all((tmp_path / "out" / h / lab).is_dir() for h in HALVES for lab in ("relevant", "irrelevant"))


def test_more_verdicts_than_one_query_takes(tmp_path):
    """Match ids are read 500 at a time (SQLite caps the parameters of one statement): all 1,200
    are written, each once, with its own verdict."""
    url = f"sqlite:///{tmp_path / 'many.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        for n in range(1, 1201):
            session.add(Article(url=f"https://many.example/{n}", canonical_url=f"https://many.example/{n}",
                                content_hash=f"{n:064d}", title=f"Story {n}", text=f"Russia and Pakistan {n}.",
                                language="en", content_origin="page", discovered_via="feed"))
            session.add(Match(article_id=n, watch="rp", score=1, threshold=1, terms=[], rules=[], snippet="",
                              detail={}))
        session.commit()
        for n in range(1, 1201):
            record_feedback(session, n, "relevant" if n % 3 else "irrelevant", None)
        report = export(session, "rp", tmp_path / "out")
    engine.dispose()
    assert report.written == 1200
    assert sum(n for (_, label), n in report.counts.items() if label == "irrelevant") == 400
