"""An alert as an analyst reads it on a phone: the headline is the link, source · date · language on
one line, the watch's title, a one-line why, the snippet, and the full hit list last; links shown
decoded and sent encoded. The email is rendered in real Chromium at phone width."""
from __future__ import annotations

import html
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import pytest

from pipelines.render import AlertContent, readable_url, render, why_line

SLUG = "россия-и-пакистан-провели-совместные-антитеррористические-учения-дружба-в-горах"
URL = "https://ria.example/20241105/" + quote(SLUG) + ".html?utm_source=x&from=rss"
SNIPPET = "Военнослужащие России и Пакистана провели учения «Дружба» в горах; Россия и Пакистан договорились."


def hits(*pairs):
    return [{"term": term, "form": form, "group": group} for group, term, form in pairs]


def content(**over) -> AlertContent:
    base = dict(
        watch="russia_pakistan_security", watch_title="Russia–Pakistan security relations",
        title="Россия и Пакистан провели совместные учения", url=URL, source="RIA",
        published_at=datetime(2024, 11, 5, 9, 15, tzinfo=timezone.utc), language="ru", score=23.0, threshold=10.0,
        terms=hits(("russia", "Россия", "России"), ("pakistan", "Пакистан", "Пакистана"),
                   ("exercises", "Дружба", "Дружба"), ("russia", "Россия", "Россия"),
                   ("pakistan", "Пакистан", "Пакистан"), ("russia", "Россия", "РОССИЯ"),
                   ("security", "антитеррористический", "антитеррористические")),
        snippet=SNIPPET, snippet_spans=[(SNIPPET.index("России"), SNIPPET.index("России") + 6)],
        feedback={"relevant": "https://app.example/v/1?t=a", "irrelevant": "https://app.example/v/1?t=b"},
    )
    base.update(over)
    return AlertContent(**base)


def test_why_line_groups_forms_with_counts_most_hits_first():
    # case aside, a form counts once with its number; groups with the most hits come first
    assert why_line(content()) == ("russia: России, Россия ×2 · pakistan: Пакистана, Пакистан · "
                                   "exercises: Дружба · security: антитеррористические")
    assert why_line(content(terms=[])) == "(no terms recorded)"
    many = hits(*[("g", f"t{i}", f"form{i}") for i in range(200)])
    assert len(why_line(content(terms=many))) <= 300


def test_a_topic_found_in_many_words_leaves_room_for_the_countries():
    # twenty security words came first and filled the line; now each group shows four forms
    topic = [("security", f"term{i}", f"bezpieczeństwo{i}") for i in range(20)]
    sides = [("russia", "Rosja", "Rosji"), ("pakistan", "Pakistan", "Pakistanem"),
             ("pakistan_places", "Islamabad", "Islamabadzie")]
    line = why_line(content(terms=hits(*topic, *sides)))
    assert line.startswith("security: bezpieczeństwo0, bezpieczeństwo1, bezpieczeństwo2, bezpieczeństwo3 +16 · ")
    assert "Rosji" in line and "Pakistanem" in line and "pakistan places: Islamabadzie" in line


def test_links_are_shown_decoded_and_sent_encoded():
    assert readable_url(URL) == f"https://ria.example/20241105/{SLUG}.html?utm_source=x&from=rss"
    email = render(content(), "email").body
    assert f'href="{URL.replace("&", "&amp;")}"' in email          # sent as it was, encoded
    assert f">{readable_url(URL).replace('&', '&amp;')}</div>" in email  # shown as a person reads it
    # decoding cannot smuggle a line break, a bidi override or markup into the shown link
    hostile = "https://x.example/a%0D%0ABcc:%20v@x.org/%E2%80%AEgpj.exe/%3Cscript%3E"
    shown = readable_url(hostile)
    assert "\n" not in shown and "\r" not in shown and "\u202e" not in shown
    assert "&lt;script&gt;" in render(content(url=hostile), "email").body


@pytest.mark.parametrize("channel", ["email", "slack", "generic"])
def test_the_headline_byline_watch_and_why_lead_every_channel(channel):
    r = render(content(), channel)
    text = html.unescape(r.body) if channel == "email" else r.body
    lines = [line for line in re.sub(r"<[^>]+>", "\n", text).splitlines() if line.strip()] if channel == "email" \
        else text.splitlines()
    order = [next(i for i, line in enumerate(lines) if needle in line) for needle in (
        "Россия и Пакистан провели совместные учения", "RIA · 2024-11-05 09:15 UTC · ru", "России, Россия ×2",
        "23 (threshold 10)")]
    assert order == sorted(order), (channel, lines)
    # the watch's title: the heading of email and Slack, the line under the byline in plain text
    assert any("Russia–Pakistan security relations" in line for line in lines[:3]), lines
    # the full hit list comes after the snippet, and once per term and form
    hits_at = next(i for i, line in enumerate(lines) if "All hits" in line)
    snippet_at = next(i for i, line in enumerate(lines) if "провели учения" in line and "«" in line)
    assert hits_at > snippet_at
    assert text.count('found as "РОССИЯ"') == 1


def test_watch_title_reaches_the_subject_and_old_matches_fall_back_to_the_name():
    assert render(content(), "email").title.startswith("[newswatch] Russia–Pakistan security relations: ")
    assert render(content(watch_title=""), "email").title.startswith("[newswatch] russia_pakistan_security: ")


PHONE = (390, 844)


@pytest.mark.slow
def test_email_fits_a_phone_screen_in_chromium(tmp_path):
    from tests.test_web_browser import ARGS, CHROMIUM, _missing

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        _missing(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    long_url = "https://ria.example/" + quote(SLUG * 6) + "?" + "&".join(f"p{i}=%D0%B0%D0%B1" for i in range(20))
    assert len(long_url) > 700
    email = render(content(url=long_url, title="Россия и Пакистан " * 8), "email").body
    folder = Path(os.environ.get("NEWSWATCH_SCREENSHOTS") or tmp_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": PHONE[0], "height": PHONE[1]})
        page.set_content(email)
        # nothing runs off the screen: no horizontal scrolling at phone width
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
        assert page.locator("a").first.inner_text().startswith("Россия и Пакистан")
        assert page.locator("details").get_attribute("open") is None  # the hit list is folded
        assert not page.locator("details div").first.is_visible()
        page.screenshot(path=str(folder / "alert-email-phone.png"), full_page=True)
        # a Persian or Urdu headline and snippet read right to left; the Russian ones left to right
        snippet = "روسیه و پاکستان همکاری\u200cهای نظامی خود را گسترش می\u200cدهند."
        page.set_content(render(content(title="همکاری\u200cهای نظامی روسیه و پاکستان", snippet=snippet,
                                        snippet_spans=[(0, 5)], language="fa"), "email").body)
        directions = page.evaluate("[...document.querySelectorAll('p')].map(p => getComputedStyle(p).direction)")
        assert directions[1:3] == ["rtl", "rtl"], directions  # after the heading: headline, snippet
        assert "\u200c" in page.locator("a").first.inner_text()  # the word keeps its non-joiner
        page.screenshot(path=str(folder / "alert-email-phone-fa.png"), full_page=True)
        page.set_content(email)
        assert page.evaluate("[...document.querySelectorAll('p')].map(p => getComputedStyle(p).direction)")[1:3] \
            == ["ltr", "ltr"]
        browser.close()
