"""`newswatch watch suggest`: changes to a watch proposed from verdicts and missed-article reports,
each tried on the stored articles; the watch file is never written.

The store, seeded once (texts written here):
- three relevant matches (Russian helicopters, a joint exercise, a defence pact signed at the World
  Games: its security news in one paragraph, the Games in another);
- three irrelevant matches: sport at the Military World Games, which name both countries and
  "military" (a security term of the watch);
- three missed articles on a Russian submarine offer to Pakistan: the watch has no term for
  submarines, so its required security rule fails;
- unlabelled stored articles: everyday news, and one more on the submarines.
"""
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from crawler.cli import main
from pipelines.db import make_engine, session_factory, upgrade
from pipelines.models import Article, Match
from pipelines.review import record_feedback, rematch, report_missed
from pipelines.suggest import load_evidence, suggest
from pipelines.watch import Document, Matcher, load_watch, parse_watch
from tests.watch_config import config_with_watch

WATCH = """\
[watch]
name = "rp_defence"
title = "Russia-Pakistan defence ties"
threshold = 3

[groups.russia]
terms = ["Russia", "Russian", "Moscow"]

[groups.pakistan]
terms = ["Pakistan", "Pakistani", "Islamabad"]

[groups.security]
label = "security and defence"
terms = ["defence", "military", "helicopter", "missile"]
weight = 1
cap = 3

[[rules]]
name = "both countries"
expr = "russia AND pakistan"
required = true

[[rules]]
name = "a security term"
expr = "security"
required = true
weight = 0

[[rules]]
name = "together in one sentence"
expr = "SENTENCE(russia, pakistan, security)"
"""

RELEVANT = [
    ("Russia delivers helicopters to Pakistan",
     ("Russia delivered four Mi-35 attack helicopters to Pakistan on Monday. Officials in Islamabad said the "
      "military transfer follows talks in Moscow on defence cooperation.")),
    ("Special forces end joint exercise",
     ("Pakistani and Russian special forces ended a joint exercise with a missile drill near Islamabad, the "
      "military said.")),
    ("Pact signed in Wuhan",
     ("Russia and Pakistan signed a defence agreement in Wuhan on Friday.\n\n"
      "The ministers met on the sidelines of the World Games, where both delegations watched the opening.")),
]
IRRELEVANT = [
    ("Medals for athletes", ("Russian and Pakistani athletes won medals at the Military World Games on Sunday, "
                             "organisers said.")),
    ("Shooting results", ("Pakistan finished ahead of Russia in the shooting events of the Military World Games, "
                          "its federation reported.")),
    ("Boxing final", ("A Russian boxer beat a Pakistani rival in the Military World Games final before a crowd "
                      "of thousands.")),
]
MISSED = [
    ("Moscow offers Islamabad two submarines",
     ("Russia has offered Pakistan two diesel-electric submarines, officials in Islamabad confirmed on Tuesday. "
      "The boats would be built at a Russian shipyard.")),
    ("Submarine offer weighed", ("Pakistan is considering a Russian submarine offer as its fleet ages, a "
                                 "parliamentary committee heard.")),
    ("Talks in Karachi", "Russian and Pakistani negotiators discussed the submarine project in Karachi this week."),
]
SIDE = ("Submarine maintenance", "Russia and Pakistan agreed on submarine maintenance at a shipyard in Karachi.")
FILLER = [
    "The central bank kept interest rates unchanged on Tuesday, officials said, as inflation eased this week.",
    "Heavy rain closed several roads in the north, and the weather service confirmed more storms would follow.",
    "The football club signed a new striker, its coach said, after a committee heard the transfer offer.",
    "Farmers are considering new crops as the harvest ages poorly in the dry season, a survey found.",
    "A new shipyard opened on the coast, creating jobs for welders and engineers, the mayor said.",
    "Negotiators discussed the budget project in the capital this week, and the parliamentary debate continues.",
]


def _article(session, n: int, title: str, text: str) -> None:
    session.add(Article(url=f"https://example.org/{n}", canonical_url=f"https://example.org/{n}",
                        content_hash=f"{n:064d}", title=title, text=text, language="en",
                        content_origin="page", discovered_via="feed"))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """(config path, watch path, database url) of a seeded SQLite store."""
    root = tmp_path_factory.mktemp("suggest")
    url = f"sqlite:///{root / 'newswatch.db'}"
    config, watch_path = config_with_watch(root, "rp_defence", WATCH, url, "newswatch.toml")
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    watch = load_watch(watch_path)
    matcher = Matcher([watch])
    with sessions() as session:
        n = 0
        for title, text in RELEVANT + IRRELEVANT:
            n += 1
            _article(session, n, title, text)
        for i in range(30):  # everyday news: the background a new term must be rare in
            n += 1
            _article(session, n, f"News {i}", FILLER[i % len(FILLER)] + f" Report {i}.")
        n += 1
        _article(session, n, *SIDE)
        session.commit()
    rematch(sessions, matcher, datetime.now(UTC) - timedelta(days=1), None, [], alert=False)
    with sessions() as session:
        titles = {m.article.title: m.id for m in session.scalars(select(Match))}
        assert sorted(titles) == sorted(t for t, _ in RELEVANT + IRRELEVANT)  # the watch as the story says
        for title, _ in RELEVANT:
            record_feedback(session, titles[title], "irrelevant", "first thought")
            record_feedback(session, titles[title], "relevant", None)  # the newest verdict counts
        for title, _ in IRRELEVANT:
            record_feedback(session, titles[title], "irrelevant", "sport")
        for title, text in MISSED:
            report_missed(session, matcher, "rp_defence", Document(title, text, "en"))
    engine.dispose()
    return config, watch_path, url


@pytest.fixture(scope="module")
def report(store):
    _, watch_path, url = store
    engine = make_engine(url)
    with session_factory(engine)() as session:
        evidence = load_evidence(session, "rp_defence", 1000)
    engine.dispose()
    assert (len(evidence.relevant), len(evidence.irrelevant), len(evidence.missed)) == (3, 3, 3)
    assert len(evidence.stored) == 31  # the labelled articles are not counted as side effects
    return suggest(load_watch(watch_path), evidence, limit=20)


def _titles(examples):
    return sorted(e.title for e in examples)


def _one(report, kind, needle):
    found = [s for s in report.suggestions if s.kind == kind and needle in s.change]
    assert found, f"no {kind} suggestion with {needle!r} in: {[s.change for s in report.suggestions]}"
    return found[0]


def test_a_term_the_missed_articles_share_is_suggested_and_catches_them(report):
    term = _one(report, "term", '"submarine')
    assert "group 'security'" in term.change  # the group the misses lacked, not 'russia' or 'pakistan'
    assert _titles(term.caught) == sorted(t for t, _ in MISSED)
    assert not term.lost and not term.added and not term.dropped
    assert _titles(term.newly) == [SIDE[0]]  # a side effect on an unlabelled article, shown
    assert "in 3 of 3 missed articles (en)" in term.why
    assert term.toml.startswith("# in [groups.security], add to terms")
    # words the missed articles share with everyday news ("officials", "shipyard") are not proposed
    assert not [s for s in report.suggestions if s.kind == "term" and ("official" in s.change or "shipyard" in s.change)]


def test_an_exclusion_for_a_recurring_false_positive_phrase_drops_them_and_loses_nothing(report):
    exclusion = _one(report, "exclusion", '"World Games"')
    assert _titles(exclusion.dropped) == sorted(t for t, _ in IRRELEVANT)
    assert exclusion.lost == [] and exclusion.net == 3
    assert "in 3 of 3 matches judged irrelevant" in exclusion.why


def test_a_suggestion_that_would_lose_a_relevant_match_says_so(report):
    # the same phrase as a penalty counts anywhere in the article: the pact signed at the Games goes too
    penalty = _one(report, "penalty", '"World Games"')
    assert _titles(penalty.dropped) == sorted(t for t, _ in IRRELEVANT)
    assert _titles(penalty.lost) == ["Pact signed in Wuhan"] and penalty.net == 2
    exclusion = _one(report, "exclusion", '"World Games"')
    assert report.suggestions.index(exclusion) < report.suggestions.index(penalty)  # the loss ranks it lower


def test_the_cli_prints_toml_snippets_that_load_and_never_writes_the_watch(store, tmp_path):
    config, watch_path, _ = store
    before = watch_path.read_bytes()
    result = CliRunner().invoke(main, ["--config", str(config), "watch", "suggest", "rp_defence", "--articles", "20"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert watch_path.read_bytes() == before
    out = result.output
    assert "from 3 relevant and 3 irrelevant verdicts and 3 missed-article reports" in out
    assert "newest 20 of 31 unlabelled stored articles" in out  # the bound, said
    assert "LOSES relevant matches: 1" in out and '"Pact signed in Wuhan" (match' in out
    # the snippet printed under the exclusion is valid watch TOML and does what the suggestion said
    block = out[out.index('exclude the paragraphs that say "World Games"'):]
    block = block[block.index("write in the watch file:\n") + len("write in the watch file:\n"):]
    snippet = "\n".join(line[5:] for line in block.split("\n\n")[0].splitlines())
    assert snippet.startswith('[[exclusions]]\nname = "suggested: World Games"\ncontext = ["World Games"]\n')
    edited = parse_watch(before.decode() + "\n" + snippet + "\n", "edited.toml")
    matcher = Matcher([edited])
    assert not any(matcher.match(Document(t, x, "en")) for t, x in IRRELEVANT)
    assert all(matcher.match(Document(t, x, "en")) for t, x in RELEVANT)

    as_json = CliRunner().invoke(main, ["--config", str(config), "watch", "suggest", "rp_defence", "--format", "json",
                                        "--limit", "2"], catch_exceptions=False)
    assert as_json.exit_code == 0 and watch_path.read_bytes() == before
    (row,) = json.loads(as_json.output)
    assert (row["relevant"], row["irrelevant"], row["missed"]) == (3, 3, 3) and len(row["suggestions"]) == 2
    assert all(s["net"] > 0 and s["toml"] for s in row["suggestions"])


def test_no_evidence_is_a_clear_message_not_an_error(tmp_path):
    config, _ = config_with_watch(tmp_path, "rp_defence", WATCH, f"sqlite:///{tmp_path}/x.db")
    result = CliRunner().invoke(main, ["--config", str(config), "watch", "suggest", "rp_defence"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output  # nothing to do, as `crawl` with nothing to crawl
    assert result.output.startswith("no verdicts or missed-article reports for rp_defence yet")
    assert "newswatch feedback" in result.output and "Missed articles" in result.output
    unknown = CliRunner().invoke(main, ["--config", str(config), "watch", "suggest", "nope"])
    assert unknown.exit_code == 1 and "no watch named 'nope'" in unknown.output


def test_suggestions_from_a_folder_of_labelled_examples(store, tmp_path):
    """--examples: the layout `watch test` reads, no store needed; a relevant example the watch
    misses is a missed article, and an irrelevant one it leaves alone counts against a change that
    would make it fire."""
    config, watch_path, _ = store
    before = watch_path.read_bytes()
    folder = tmp_path / "labelled"
    for label, rows in (("relevant", RELEVANT + MISSED), ("irrelevant", IRRELEVANT)):
        (folder / label).mkdir(parents=True)
        for n, (title, text) in enumerate(rows):
            (folder / label / f"{n:02d}.en.txt").write_text(f"# {title}\n{text}\n", encoding="utf-8")
    for i in range(10):  # everyday news, judged irrelevant: the background a new term must be rare in
        (folder / "irrelevant" / f"{20 + i}.en.txt").write_text(FILLER[i % len(FILLER)] + f" Report {i}.\n",
                                                                encoding="utf-8")
    # a tour of a museum submarine: the two countries and a submarine, but no security tie
    (folder / "irrelevant" / "09.en.txt").write_text(
        "# Tourists visit museum boat\nPakistani tourists toured a retired Russian submarine moored as a museum "
        "in Kaliningrad.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "watch", "suggest", "rp_defence",
                                       "--examples", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert watch_path.read_bytes() == before
    out = result.output
    assert f"from the examples in {folder}: 6 relevant (3 of them missed by the watch) and 14 irrelevant" in out
    term = out[out.index('add the term "submarine'):]
    term = term[:term.index("write in the watch file")]
    assert "catches: 3" in term and "newly matches irrelevant: 1" in term and "(irrelevant/09.en.txt)" in term

    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = CliRunner().invoke(main, ["--config", str(config), "watch", "suggest", "rp_defence",
                                        "--examples", str(empty)])
    assert nothing.exit_code == 1 and "no examples under" in nothing.output


SMALL_WATCH = """\
[watch]
name = "rp_small"
threshold = {threshold}

[groups.russia]
terms = ["Russia", "Russian", "Moscow"]

[groups.pakistan]
terms = ["Pakistan", "Pakistani", "Islamabad"]

[groups.security]
terms = ["defence", "military", "helicopter"]
weight = 1

[[rules]]
name = "each named twice"
expr = "ATLEAST(2, russia) AND ATLEAST(2, pakistan)"
required = true
"""


def _suggest_from(tmp_path, threshold, relevant, irrelevant):
    from pipelines.suggest import load_example_evidence

    watch = parse_watch(SMALL_WATCH.format(threshold=threshold), "rp_small.toml")
    folder = tmp_path / "labelled"
    for label, texts in (("relevant", relevant), ("irrelevant", irrelevant + FILLER)):
        (folder / label).mkdir(parents=True)
        for n, text in enumerate(texts):
            (folder / label / f"{n:02d}.en.txt").write_text(text + "\n", encoding="utf-8")
    return suggest(watch, load_example_evidence(watch, folder), limit=20).suggestions


def test_a_group_of_names_is_offered_names_not_everyday_words(tmp_path):
    # Pakistan is named once: any word added to 'pakistan' would pass the gate, but only a name
    # belongs there ('energy' did, on the development set: 'energy' into 'Pakistani officials')
    missed = [f"Russia and Pakistan signed a defence deal {day}. Russian officials praised the energy plans{who}."
              for day, who in (("on Monday", " of Sharif"), ("on Friday", " of Sharif"), ("today", ""))]
    changes = [s.change for s in _suggest_from(tmp_path, 1, missed, [])]
    assert changes == ['add the term "Sharif" to group \'pakistan\' (pakistan)']  # not "energy plans"


def test_two_false_positives_sharing_an_everyday_word_are_not_a_pattern(tmp_path):
    # the two share 'festival' (and 'brass') and no relevant article has them: with two, any shared
    # word looked perfect; three make a pattern worth a rule
    relevant = ["Russia and Pakistan held military drills. Moscow and Islamabad praised the helicopter crews."]
    wrong = [f"Russian and Pakistani bands played at the {what} festival. Moscow and Islamabad sent military brass."
             for what in ("summer", "winter")]
    two = _suggest_from(tmp_path / "two", 1, relevant, wrong)
    assert not [s.change for s in two if s.kind in ("exclusion", "penalty")]
    wrong.append("Russian and Pakistani dancers met at the spring festival. Moscow and Islamabad sent military attaches.")
    three = _suggest_from(tmp_path / "three", 1, relevant, wrong)
    assert {s.change for s in three if s.kind in ("exclusion", "penalty")} == {
        'exclude the paragraphs that say "festival"', 'lower the score by 2 when the article says "festival"'}


def test_of_thresholds_that_do_the_same_the_nearest_is_proposed(tmp_path):
    # scores: the missed article 4 (two security terms, the pair...), the irrelevant one lower;
    # every threshold between them catches the same article: the smallest step is the one to take
    missed = ["Russia and Pakistan held military drills. Moscow and Islamabad praised the helicopter crews."]
    wrong = ["Russia and Pakistan played cricket. Moscow and Islamabad praised the crowds."]
    suggestions = _suggest_from(tmp_path, 6, missed, wrong)
    thresholds = [s for s in suggestions if s.kind == "threshold"]
    assert len(thresholds) == 1 and len(thresholds[0].caught) == 1 and not thresholds[0].added
    watch = parse_watch(SMALL_WATCH.format(threshold=6), "rp_small.toml")
    score = Matcher([watch]).explain(Document("", missed[0], "en"))[0].score
    assert thresholds[0].change == f"set the threshold to {score:g} (now 6)"


def test_an_exclusion_that_weakens_more_relevant_matches_than_it_drops_is_not_proposed(tmp_path):
    # "years" is in each of the three false positives, and in a paragraph of its own in relevant
    # articles that still fire without it: dropping three while cutting the evidence of four fits
    # these examples, not a cause (on the development set: "years", "with the")
    wrong = ["Russian and Pakistani chess players met for the first time in years. Moscow and Islamabad sent military coaches.",
             "Russian and Pakistani poets gathered, years after the last reading. Moscow and Islamabad flew in military bands.",
             "Russian and Pakistani chefs cooked together for years. Moscow and Islamabad dispatched military cooks."]
    relevant = ["Russia and Pakistan held military drills near Islamabad. Moscow praised the helicopter crews.\n\n"
                f"Over the years their defence ties grew{end}" for end in (".", " again.", " slowly.", " fast.")]

    def exclusions(folder, relevant):
        return [s for s in _suggest_from(folder, 1, relevant, wrong) if s.kind == "exclusion" and '"years"' in s.change]

    assert exclusions(tmp_path / "four", relevant) == []
    two = relevant[:2] + ["Russia and Pakistan held military drills near Islamabad. Moscow praised the helicopter crews."] * 2
    kept = exclusions(tmp_path / "two", two)
    assert len(kept) == 1 and len(kept[0].dropped) == 3 and len(kept[0].weakened) == 2 and not kept[0].lost
    assert kept[0].to_dict()["weakened"] and len(kept[0].to_dict()["weakened"]) == 2


def test_the_phrases_most_telling_of_the_false_positives_are_tried_first(tmp_path):
    # "festival" is in three of the four false positives and in no relevant article; a dozen
    # everyday words and pairs are in all four and in half the relevant ones. Commonest first, only
    # the everyday ones were tried (PHRASE_CANDIDATES of them) and "festival" never was.
    everyday = ("Russian and Pakistani officials reported on the weekend from the capital{}. Moscow and Islamabad "
                "issued a military statement about visitors, the crowd, the morning and the evening.")
    wrong = [everyday.format(" festival")] * 3 + [everyday.format(" concert")]
    relevant = [everyday.format("") + " Russia and Pakistan held helicopter drills."] * 2 + \
        ["Russia and Pakistan held military drills near Islamabad. Moscow praised the helicopter crews."] * 2
    festival = [s for s in _suggest_from(tmp_path, 1, relevant, wrong) if s.kind == "exclusion" and "festival" in s.change]
    # "festival" or "capital festival": the same three dropped, the longer shown
    assert len(festival) == 1 and len(festival[0].dropped) == 3 and not festival[0].lost


def test_half_keeps_to_the_verdicts_of_one_half_and_hides_the_other(store):
    """--half: the store's verdicts split as `watch export` splits them (by the canonical URL); the
    other half's articles are not among the side effects either, so a suggestion never shows them."""
    from pipelines.labelled_export import article_key, half_of

    config, _, url = store
    engine = make_engine(url)
    with session_factory(engine)() as session:
        whole = load_evidence(session, "rp_defence", 1000)
        halves = {half: load_evidence(session, "rp_defence", 1000, half) for half in ("tuning", "heldout")}
        urls = {a.title: a.canonical_url for a in session.scalars(select(Article))}
    engine.dispose()

    def titles(examples):
        return sorted(e.title for e in examples)

    for kind in ("relevant", "irrelevant", "missed"):
        assert titles(getattr(halves["tuning"], kind) + getattr(halves["heldout"], kind)) == \
            titles(getattr(whole, kind))
    for half, evidence in halves.items():
        for e in evidence.relevant + evidence.irrelevant:
            assert half_of(urls[e.title]) == half
        for e in evidence.missed:  # reported as text, never stored: the half of the text
            assert half_of(article_key(None, None, e.document.text)) == half
        assert len(evidence.stored) == len(whole.stored)  # no labelled article of either half among them
    both = {half: len(e.relevant) + len(e.irrelevant) + len(e.missed) for half, e in halves.items()}
    assert all(both.values()), both  # this store's nine fall in both halves

    result = CliRunner().invoke(main, ["--config", str(config), "watch", "suggest", "rp_defence", "--half", "tuning",
                                       "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0 and json.loads(result.output)[0]["half"] == "tuning"
    mixed = CliRunner().invoke(main, ["--config", str(config), "watch", "suggest", "rp_defence", "--half", "tuning",
                                      "--examples", str(config.parent)])
    assert mixed.exit_code == 2 and "--half" in mixed.output
