"""Re-matching stored articles, analysts' verdicts and the precision report."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from crawler.config import bundled_watch_paths
from pipelines.models import Alert, Article, Match
from pipelines.queries import precision_report
from pipelines.review import record_feedback, rematch
from pipelines.targets import load_target
from pipelines.watch import Matcher, load_watches

RELEVANT = ("Russian and Pakistani special forces began the Druzhba joint exercise near Rawalpindi, the "
            "ISPR said. Moscow and Islamabad signed a defence cooperation agreement and Russia delivered "
            "Mi-35M helicopters to the Pakistan Army. The drills focus on counter-terrorism.")
UNRELATED = "The European Union agreed new farm subsidies for grain producers after a dry summer."


@pytest.fixture(scope="module")
def matcher():
    return Matcher(load_watches(bundled_watch_paths()))


def add_article(sessions, n, text, language="en"):
    with sessions() as s:
        s.add(Article(url=f"https://example.org/{n}", canonical_url=f"https://example.org/{n}",
                      content_hash=f"{n:064d}", title=f"Article {n}", text=text, language=language,
                      content_origin="page", discovered_via="feed"))
        s.commit()


def test_rematch_stores_new_matches_once_and_alerts_only_when_asked(sessions, matcher):
    add_article(sessions, 1, RELEVANT)
    add_article(sessions, 2, UNRELATED)
    since = datetime.now(timezone.utc) - timedelta(days=1)
    targets = [load_target("json://127.0.0.1:9/x")]

    quiet = rematch(sessions, matcher, since, None, targets, alert=False)
    assert (quiet.articles, quiet.new_matches, quiet.alerts) == (2, 1, 0)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 0
    # a match stored silently is alerted when asked later: "never twice" is about alerts
    asked = rematch(sessions, matcher, since, None, targets, alert=True)
    assert (asked.new_matches, asked.already_matched, asked.alerts) == (0, 1, 1)
    again = rematch(sessions, matcher, since, None, targets, alert=True)
    assert (again.new_matches, again.already_matched, again.alerts) == (0, 1, 0)  # never twice
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Match)) == 1
        assert s.scalar(select(func.count()).select_from(Alert)) == 1

    add_article(sessions, 3, RELEVANT.replace("Druzhba", "Friendship") + " Again.")
    loud = rematch(sessions, matcher, since, "russia_pakistan_security", targets, alert=True)
    assert (loud.new_matches, loud.alerts) == (1, 1)
    nothing = rematch(sessions, matcher, since, "no-such-watch", targets, alert=True)
    assert nothing.new_matches == 0


def test_feedback_and_precision_report(sessions, matcher):
    for n in (1, 2, 3):
        add_article(sessions, n, RELEVANT + f" Part {n}.", language="en" if n < 3 else "pl")
    rematch(sessions, matcher, datetime.now(timezone.utc) - timedelta(days=1), None, [], alert=False)
    with sessions() as s:
        ids = list(s.scalars(select(Match.id).order_by(Match.id)))
        assert len(ids) == 3
        record_feedback(s, ids[0], "irrelevant", "first thought")
        record_feedback(s, ids[0], "relevant", "on second reading")  # the newest verdict counts
        record_feedback(s, ids[1], "irrelevant", None)
        with pytest.raises(ValueError):
            record_feedback(s, ids[2], "maybe", None)
        with pytest.raises(LookupError):
            record_feedback(s, 10_000, "relevant", None)
        rows = {(r["by"], r["value"]): r for r in precision_report(s, datetime.now(timezone.utc) - timedelta(days=1))}
    watch = rows[("watch", "russia_pakistan_security")]
    assert (watch["matches"], watch["judged"], watch["relevant"], watch["precision"]) == (3, 2, 1, 0.5)
    assert rows[("language", "pl")]["judged"] == 0 and rows[("language", "pl")]["precision"] is None
    assert rows[("language", "en")]["precision"] == 0.5
