"""`newswatch watch forms`: what each term of a watch found, by document language, from a folder
of texts or from the store. The texts are written here: a Polish rank that, folded, also finds the
English adjective, and a Farsi word that, cut to its stem, is an Urdu one."""
import json

from click.testing import CliRunner

from crawler.cli import main
from pipelines.db import make_engine, session_factory, upgrade
from pipelines.models import Article
from pipelines.watch import Document, parse_watch
from pipelines.watch.forms import format_forms, term_forms
from tests.watch_config import config_with_watch

WATCH = """\
[watch]
name = "ranks"
threshold = 1

[groups.rank]
terms = ["generał", "اطلاعاتی"]

[groups.place]
terms = ["Pakistan"]

[[rules]]
expr = "rank"
"""

TEXTS = [
    ("en", "The UN General Assembly met; General Munir spoke for Pakistan."),
    ("pl", "Generał Munir odwiedził Moskwę. Generała przyjęto z honorami."),
    ("ur", "اطلاعات کے مطابق پاکستان نے کہا۔"),
    ("fa", "سازمان اطلاعاتی پاکستان"),
]


def test_each_term_lists_what_it_found_by_language():
    watch = parse_watch(WATCH, "<ranks>")
    terms = term_forms(watch, [Document("", text, language) for language, text in TEXTS])
    by_term = {t.term: t for t in terms}
    rank = by_term["generał"]
    assert rank.hits == 4 and rank.documents == 2
    assert rank.forms == {("en", "general"): 2, ("pl", "generał"): 1, ("pl", "generała"): 1}
    assert set(rank.languages) == {"en", "pl"}
    farsi = by_term["اطلاعاتی"]
    assert set(farsi.languages) == {"ur", "fa"} and ("ur", "اطلاعات") in farsi.forms
    assert by_term["Pakistan"].languages == ["en"]  # the Latin name: the others write پاکستان
    text = format_forms(terms, len(TEXTS), min_languages=2)
    assert text.startswith("2 terms found something in 4 documents in at least 2 languages.")
    assert "generał  4 hits in 2 documents  [" in text and "en: general ×2" in text
    assert "pl: generał, generała" in text or "pl: generała, generał" in text


def test_a_scoped_term_finds_nothing_in_other_languages():
    watch = parse_watch(WATCH.replace('"اطلاعاتی"', '"اطلاعاتی@fa"'), "<ranks>")
    terms = term_forms(watch, [Document("", text, language) for language, text in TEXTS])
    (farsi,) = [t for t in terms if t.term == "اطلاعاتی@fa"]
    assert farsi.languages == ["fa"]


def _config(tmp_path):
    return config_with_watch(tmp_path, "ranks", WATCH, f"sqlite:///{tmp_path}/x.db")[0]


def test_the_cli_reads_a_folder_of_texts(tmp_path):
    folder = tmp_path / "texts" / "relevant"
    folder.mkdir(parents=True)
    for n, (language, text) in enumerate(TEXTS):
        (folder / f"{n}.{language}.txt").write_text(text, encoding="utf-8")
    config = _config(tmp_path)
    result = CliRunner().invoke(main, ["--config", str(config), "watch", "forms", "ranks", "--examples",
                                       str(tmp_path / "texts"), "--min-languages", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "in 4 documents in at least 2 languages" in result.output and "en: general ×2" in result.output
    as_json = CliRunner().invoke(main, ["--config", str(config), "watch", "forms", "ranks", "--examples",
                                        str(tmp_path / "texts"), "--group", "rank", "--format", "json"],
                                 catch_exceptions=False)
    rows = json.loads(as_json.output)
    assert {r["term"] for r in rows} == {"generał", "اطلاعاتی"} and all(r["group"] == "rank" for r in rows)
    bad = CliRunner().invoke(main, ["--config", str(config), "watch", "forms", "ranks", "--group", "nope"])
    assert bad.exit_code == 1 and "has no group 'nope'" in bad.output


def test_the_cli_reads_the_newest_stored_articles(tmp_path):
    config = _config(tmp_path)
    url = f"sqlite:///{tmp_path}/x.db"
    upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        for n, (language, text) in enumerate(TEXTS):
            session.add(Article(url=f"http://127.0.0.1/{n}", canonical_url=f"http://127.0.0.1/{n}",
                                content_hash=f"{n:064d}", title="", text=text, language=language))
        session.commit()
    engine.dispose()
    newest = CliRunner().invoke(main, ["--config", str(config), "watch", "forms", "ranks", "--articles", "2",
                                       "--format", "json"], catch_exceptions=False)
    assert newest.exit_code == 0, newest.output
    languages = {language for row in json.loads(newest.output) for language in row["languages"]}
    assert languages == {"ur", "fa"}  # the two newest only
