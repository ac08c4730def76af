"""Duplicates that would spam analysts: one alert per story, never several.

- the same entry with a new GUID on every fetch, an article updated after publication, the same URL
  with tracking parameters: duplicates by canonical URL or content hash (nothing stored again);
- the same wire story on three sites (other URLs, a dateline, other headline punctuation, an extra
  closing sentence, other boilerplate): a near duplicate by SimHash of word shingles, confirmed on
  the texts; stored and linked to the first, but no second alert about the same watch;
- two other Russia–Pakistan stories on the same days: not merged, each alerts.

The texts below are ~300 words, like a wire story. Distances measured on them (64-bit SimHash):
copies 2–9 bits apart, Jaccard of shingles 0.77–0.96; the other stories 28–33 bits, Jaccard ≤ 0.02.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from crawler.config import NotifyConfig, bundled_watch_paths
from pipelines.dedup import (
    MIN_SHINGLES,
    NEAR_DUPLICATE_BITS,
    NEAR_DUPLICATE_SIMILARITY,
    hamming,
    jaccard,
    shingles,
    simhash,
    to_signed64,
)
from pipelines.ingest import build_article
from pipelines.items import ArticleItem
from pipelines.models import Alert, Article, Match, NearDuplicate
from pipelines.store import store_article
from pipelines.targets import load_target
from pipelines.watch import Document, Matcher, load_watches
from tests.delivery import deliver

WIRE = """Russia and Pakistan agreed on Tuesday to expand counter-terrorism cooperation and hold their annual Druzhba joint military exercise in the mountains of Khyber Pakhtunkhwa later this year, officials from both countries said after two days of security talks in Islamabad.

The talks were led by Pakistan's national security adviser and Nikolai Patrushev's successor at Russia's Security Council, Sergei Shoigu, who arrived in the Pakistani capital on Monday at the head of a delegation that included senior intelligence and defence officials.

"We agreed to deepen intelligence sharing on the threat posed by Islamic State's Khorasan branch and other groups operating from Afghanistan," Pakistan's foreign ministry said in a statement after the meeting. The Russian side said the two countries would set up a joint working group on counter-terrorism that would meet every six months.

Moscow and Islamabad, rivals during the Cold War, have moved closer since Russia lifted an arms embargo on Pakistan in 2014. Russia has since delivered four Mi-35M attack helicopters to the Pakistan Army and the two armies have held the Druzhba exercise almost every year since 2016.

Shoigu also met Pakistan's army chief at the General Headquarters in Rawalpindi, where they discussed regional security, the situation in Afghanistan and military-technical cooperation, the army's media wing said. Analysts said the visit signalled Moscow's wish to balance its long-standing defence ties with India, which remains the largest buyer of Russian weapons.

"Russia wants to keep a foot in both camps in South Asia, and Pakistan wants to show Washington it has other options," said a security analyst in Islamabad who asked not to be named because of the sensitivity of the subject. Officials said the next round of talks would be held in Moscow early next year."""

# three sites, one story
SITE_A = "ISLAMABAD (Reuters) - " + WIRE + "\n\nReporting by Asif Shahzad in Islamabad; additional reporting by Guy Faulconbridge in Moscow; Editing by Mark Heinrich"
SITE_B = ("Islamabad: " + WIRE.replace("on Tuesday", "on Tuesday,").replace("Islamic State's", "the Islamic State's")
          + "\n\nThe Indian foreign ministry did not immediately respond to a request for comment on the talks."
          + "\n\nFollow us on Twitter and Facebook for the latest news. Copyright 2024 Dawn Media Group. All rights reserved.")
SITE_C = ("ISLAMABAD: " + WIRE.replace("defence", "defense").replace("later this year", "in the autumn")
          + "\n\nPublished in The Express Tribune, March 5th, 2024.\n\nLike Pakistan on Facebook, follow @ETribuneNews on Twitter to stay informed and join in the conversation.")

# the story updated after publication at the same URL
UPDATED = WIRE.replace("officials from both countries said", "officials from both countries said, in a joint statement") + "\n\n(Updated with army chief meeting)"

# other Russia-Pakistan stories, same topic, different events
OTHER_1 = """Pakistani and Russian special forces began the Druzhba-VII joint exercise near Tarbela on Monday, the Inter-Services Public Relations said, in the seventh edition of drills that started in 2016.

About 200 soldiers from both countries will train for two weeks in counter-terrorism operations in mountainous terrain, including hostage rescue, cordon and search, and the use of helicopters to insert troops behind enemy lines, the military said in a statement.

A contingent of Russian paratroopers arrived in Pakistan on Saturday with its own equipment. The opening ceremony was attended by senior officers from both armies, who said the exercise would improve interoperability and build on a defence cooperation agreement signed in 2014.

Russia and Pakistan were on opposite sides of the Cold War, when Moscow backed India and Islamabad was a close ally of Washington. Relations have warmed over the past decade as Pakistan's ties with the United States cooled and Russia sought new partners in South Asia.

The two countries also held a naval exercise, Arabian Monsoon, in the Arabian Sea last year, and Pakistan's navy has taken part in Russia's Navy Day parade in St Petersburg. Russian officials have said they are open to selling more military equipment to Pakistan, though India, a much larger customer for Russian weapons, has objected.

The exercise will end with a demonstration attended by the corps commander, the statement said."""

OTHER_2 = """Russia's ambassador in Islamabad said on Thursday that Moscow and Pakistan were discussing the supply of Russian gas through a pipeline from Karachi to Lahore, a project that has been delayed for almost a decade by sanctions and disputes over financing.

The Pakistan Stream Gas Pipeline, formerly known as the North-South pipeline, would carry imported liquefied natural gas from terminals in Karachi to power plants and industry in Punjab. Russia agreed to build it under an intergovernmental agreement signed in 2015, but work has not begun.

"We are ready to move forward as soon as the financial questions are settled," the ambassador told reporters at an event in the Pakistani capital, adding that Russian companies were also interested in oil and gas exploration in Pakistan.

Pakistan, which is short of energy and foreign currency, began importing discounted Russian crude oil last year, but the shipments were halted after a few cargoes because refineries struggled to process the heavier oil and payment arrangements proved difficult.

Security cooperation between the two countries has also grown, with regular talks between their security councils and joint exercises against terrorism. But analysts say economic ties remain thin, with bilateral trade of about one billion dollars a year, a fraction of Russia's trade with India.

The ambassador said a Russian delegation would visit Islamabad next month to discuss energy projects and a possible barter trade arrangement."""

COPIES = {"site A": SITE_A, "site B": SITE_B, "site C": SITE_C, "updated": UPDATED}
OTHERS = {"other 1": OTHER_1, "other 2": OTHER_2}

# the same story as three sites headline it
STORIES = [
    ("https://wire.example/world/asia/russia-pakistan-talks-2024-03-05/", "Russia, Pakistan agree to expand counter-terrorism cooperation", SITE_A),
    ("https://dawn.example/news/1810001", "Russia and Pakistan agree to expand counter-terrorism cooperation!", SITE_B),
    ("https://tribune.example/story/2451234/russia-pakistan-agree-to-expand-counterterrorism-cooperation", "Russia-Pakistan agree to expand 'counter-terrorism' cooperation", SITE_C),
]


# --- the signature ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", COPIES)
def test_copies_of_one_story_are_a_few_bits_apart(name):
    distance = hamming(simhash(WIRE), simhash(COPIES[name]))
    assert distance <= 10 < NEAR_DUPLICATE_BITS, distance
    assert jaccard(shingles(WIRE), shingles(COPIES[name])) >= 0.75 > NEAR_DUPLICATE_SIMILARITY


@pytest.mark.parametrize("a, b", [(WIRE, OTHER_1), (WIRE, OTHER_2), (OTHER_1, OTHER_2),
                                  (SITE_B, OTHER_1), (SITE_C, OTHER_2)])
def test_other_stories_on_the_same_topic_are_far_apart(a, b):
    assert hamming(simhash(a), simhash(b)) >= 24 > NEAR_DUPLICATE_BITS
    assert jaccard(shingles(a), shingles(b)) <= 0.05


def test_signature_ignores_case_punctuation_and_layout():
    assert simhash(WIRE) == simhash(WIRE.upper().replace(",", " ").replace("\n\n", "\n"))


def test_short_texts_get_no_signature():
    assert simhash("Russia and Pakistan held talks in Islamabad on Tuesday.") is None
    lead = " ".join(WIRE.split()[:35])  # a sentence or two: the exact hash's business
    assert len(shingles(lead)) < MIN_SHINGLES and simhash(lead) is None
    assert simhash(" ".join(WIRE.split()[:50])) is not None and simhash(WIRE) is not None


def test_signatures_fit_a_signed_bigint():
    for text in (WIRE, OTHER_1, OTHER_2, SITE_A):
        value = to_signed64(simhash(text))
        assert -(2 ** 63) <= value < 2 ** 63
        assert hamming(value, simhash(text)) == 0


# --- through the store --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def matcher():
    return Matcher(load_watches(bundled_watch_paths()))


def page(title: str, text: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
    return (f"<html><head><title>{title}</title></head><body><nav>Home | World | Business</nav>"
            f"<article><h1>{title}</h1>{paragraphs}</article><footer>© Example Media</footer></body></html>")


def store(sessions, matcher, targets, url, title, text, entry_id=None):
    item = ArticleItem(url=url, source="test", html=page(title, text), title=title, entry_id=entry_id)
    record = build_article(item, datetime.now(timezone.utc))
    results = matcher.match(Document(record.title or "", record.text, record.language))
    assert results, f"{url}: the fixture must match the bundled watch"
    return store_article(sessions, record, results, targets, None)


def count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


TARGETS = [load_target("json://127.0.0.1:9/a"), load_target("json://127.0.0.1:9/b")]


def test_wire_story_on_three_sites_alerts_once_and_keeps_all_three(sessions, matcher, webhook):
    targets = [load_target(webhook.url("/analysts"))]
    outcomes = [store(sessions, matcher, targets, *story) for story in STORIES]
    first = outcomes[0]
    assert [o.status for o in outcomes] == ["new"] * 3
    assert first.alerts == 1 and first.near_duplicate_of is None
    assert [(o.alerts, o.near_duplicate_of) for o in outcomes[1:]] == [(0, first.article_id)] * 2
    # analysts can still see that three outlets carried it
    assert count(sessions, Article) == 3 and count(sessions, Match) == 3
    with sessions() as session:
        links = session.execute(select(NearDuplicate.article_id, NearDuplicate.original_id,
                                       NearDuplicate.distance, NearDuplicate.similarity)).all()
    assert sorted((a, o) for a, o, _, _ in links) == [(outcomes[1].article_id, first.article_id),
                                                      (outcomes[2].article_id, first.article_id)]
    assert all(d <= NEAR_DUPLICATE_BITS and s >= NEAR_DUPLICATE_SIMILARITY for _, _, d, s in links)
    # and exactly one message reaches the receiver
    report = deliver(sessions, targets, NotifyConfig(min_interval=0, console=False))
    assert report.sent == 1 and len(webhook.requests) == 1
    assert "counter-terrorism" in json.loads(webhook.bodies[0])["title"]


def test_a_copy_of_a_copy_links_to_the_story_first_article(sessions, matcher):
    first = store(sessions, matcher, TARGETS, *STORIES[0])
    wire = store(sessions, matcher, TARGETS, "https://agency.example/wire/1", "Wire", WIRE)
    assert wire.near_duplicate_of == first.article_id
    # site C is nearer the wire text (5 bits) than site A's (7): its link still names the first
    assert hamming(simhash(SITE_C), simhash(WIRE)) < hamming(simhash(SITE_C), simhash(SITE_A))
    third = store(sessions, matcher, TARGETS, *STORIES[2])
    assert third.near_duplicate_of == first.article_id
    assert count(sessions, Alert) == len(TARGETS)


def test_other_stories_on_the_same_topic_are_not_merged(sessions, matcher):
    outcomes = [
        store(sessions, matcher, TARGETS, *STORIES[0]),
        store(sessions, matcher, TARGETS, "https://dawn.example/news/1810050",
              "Russian, Pakistani special forces begin Druzhba-VII drills", OTHER_1),
        store(sessions, matcher, TARGETS, "https://tribune.example/story/2451300/russian-gas",
              "Russia, Pakistan discuss gas pipeline", OTHER_2),
    ]
    assert [(o.status, o.near_duplicate_of, o.alerts) for o in outcomes] == [("new", None, 2)] * 3
    assert count(sessions, NearDuplicate) == 0 and count(sessions, Alert) == 6


def test_a_target_not_yet_alerted_about_the_story_is_alerted(sessions, matcher):
    old, new = TARGETS
    store(sessions, matcher, [old], *STORIES[0])
    copy = store(sessions, matcher, [old, new], *STORIES[1])  # a target configured since
    assert copy.near_duplicate_of is not None and copy.alerts == 1
    with sessions() as session:
        assert session.scalar(select(Alert.target_key).join(Match).where(
            Match.article_id == copy.article_id)) == new.key


def test_an_old_story_is_not_a_near_duplicate(sessions, matcher):
    first = store(sessions, matcher, TARGETS, *STORIES[0])
    with sessions() as session:
        session.execute(update(Article).where(Article.id == first.article_id)
                        .values(fetched_at=datetime.now(timezone.utc) - timedelta(days=8)))
        session.commit()
    again = store(sessions, matcher, TARGETS, *STORIES[1])
    assert again.near_duplicate_of is None and again.alerts == len(TARGETS)


# --- exact duplicates, end to end through the store ---------------------------------------------

@pytest.mark.parametrize("url, title, text, entry_id", [
    # the feed gives the entry a new GUID on every fetch
    (STORIES[0][0], STORIES[0][1], SITE_A, "urn:uuid:6d1f0e52-second-fetch"),
    # the article was updated after publication: same URL, slightly changed text
    (STORIES[0][0], STORIES[0][1] + " (updated)", SITE_A.replace("after two days", "after two long days")
     + "\n\nThis story has been updated with comments from the army.", "urn:uuid:6d1f0e52-first-fetch"),
    # the same URL with tracking parameters, http, www and a fragment
    ("http://www.wire.example/world/asia/russia-pakistan-talks-2024-03-05/?utm_source=twitter&utm_medium=social&fbclid=IwAR0#comments",
     STORIES[0][1], SITE_A, None),
])
def test_exact_duplicates_store_nothing_and_alert_nothing(sessions, matcher, url, title, text, entry_id):
    first = store(sessions, matcher, TARGETS, *STORIES[0], entry_id="urn:uuid:6d1f0e52-first-fetch")
    before = (count(sessions, Article), count(sessions, Match), count(sessions, Alert))
    again = store(sessions, matcher, TARGETS, url, title, text, entry_id=entry_id)
    assert (again.status, again.article_id, again.alerts) == ("duplicate", first.article_id, 0)
    assert (count(sessions, Article), count(sessions, Match), count(sessions, Alert)) == before == (1, 1, 2)
