"""Rendering: every alert explains itself, and nothing from an article becomes live markup."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from email.parser import HeaderParser

import pytest

from pipelines.items import FULL_CONTENT_REASON, read_from_note
from pipelines.render import (
    AlertContent,
    SourceEventContent,
    clean,
    find_spans,
    normalise_spans,
    render,
    render_source_event,
    safe_url,
)

SNIPPET = "Delegacja z Pakistanem rozmawiała w Moskwie o dostawach broni dla Rosji."


def content(**over) -> AlertContent:
    base = dict(
        watch="Russia–Pakistan security", title="Pakistan i Rosja rozmawiają", url="https://news.example/a?id=1&x=2",
        source="Example News", published_at=datetime(2024, 3, 5, 8, 30, tzinfo=timezone.utc), language="pl",
        score=7.5, threshold=5.0,
        terms=[{"term": "Pakistan", "form": "Pakistanem", "group": "country"},
               {"term": "Rosja", "form": "Rosji", "group": "country"}],
        snippet=SNIPPET,
        snippet_spans=[(SNIPPET.index("Pakistanem"), SNIPPET.index("Pakistanem") + 10),
                       (SNIPPET.index("Rosji"), SNIPPET.index("Rosji") + 5)],
    )
    base.update(over)
    return AlertContent(**base)


HOSTILE = "Alert <!channel> and &lt;!channel&gt; <!here> &lt;!here&gt; ping <@U123ABC> see <http://evil.example|click>"


# --- what every alert says ----------------------------------------------------------------------

@pytest.mark.parametrize("channel", ["email", "slack", "generic"])
def test_every_channel_explains_the_match(channel):
    r = render(content(), channel)
    text = r.body if channel != "email" else r.text
    for needle in ("Russia–Pakistan security", "Pakistan", "Pakistanem", "Rosja", "Rosji", "7.5", "5",
                   "Example News", "2024-03-05 08:30 UTC", "pl", "https://news.example/a?id=1&"):
        assert needle in text, (channel, needle)
    assert r.text.count("\n") >= 6


@pytest.mark.parametrize("channel", ["email", "slack", "generic", "chat", "markdown"])
def test_a_match_on_the_feeds_summary_says_so(channel):
    """The watch saw only the feed's summary (the page answered 403): the alert says so in every
    channel, and an alert on the page itself has no such line."""
    note = read_from_note("feed-summary", "HTTP 403")
    r = render(content(read_from=note), channel)
    assert "the feed's summary only; the page was not used (HTTP 403)" in r.text.replace("\\", "")
    assert "Read from" in r.text
    assert "Read from" not in render(content(), channel).text


def test_read_from_notes():
    assert read_from_note("page", None) == ""
    assert read_from_note("feed-content", FULL_CONTENT_REASON) == ""  # the feed carries the article
    assert read_from_note("feed-content", "timeout") == "the feed's copy of the article; the page was not used (timeout)"
    assert read_from_note("feed-summary", None) == "the feed's summary only; the page was not used"
    hostile = read_from_note("feed-summary", "not HTML (" + "x\n" * 5000 + ")")
    assert "\n" not in hostile and len(hostile) < 200 and hostile.endswith("…)")


def test_plain_highlights_and_lists_terms():
    r = render(content(), "generic")
    assert "Delegacja z [[Pakistanem]] rozmawiała w Moskwie o dostawach broni dla [[Rosji]]." in r.body
    assert 'Pakistan — found as "Pakistanem" (country)' in r.body
    assert "Score: 7.5 (threshold 5)" in r.body
    assert r.title == "[newswatch] Russia–Pakistan security: Pakistan i Rosja rozmawiają"


# --- email ---------------------------------------------------------------------------------------

def test_email_subject_is_one_line_even_with_newlines_in_the_title():
    r = render(content(title="Breaking\r\nBcc: victim@example.org\nX-Evil: 1\x00\x1b[31m"), "email")
    assert "\n" not in r.title and "\r" not in r.title and "\x00" not in r.title and "\x1b" not in r.title
    headers = HeaderParser().parsestr(f"Subject: {r.title}\n\n")
    assert headers["Bcc"] is None and headers["X-Evil"] is None
    assert r.title == "[newswatch] Russia–Pakistan security: Breaking Bcc: victim@example.org X-Evil: 1 [31m"


def test_email_html_escapes_everything_and_marks_terms():
    snippet = "<script>alert(1)</script> Rosji & <b>Pakistan</b>"
    spans = [(snippet.index("Rosji"), snippet.index("Rosji") + 5)]
    r = render(content(title='<img src=x onerror="alert(1)">', watch="w<i>", source="S&P <b>",
                             snippet=snippet, snippet_spans=spans,
                             terms=[{"term": "<t>", "form": "Rosji", "group": "g&"}]), "email")
    assert "<script>" not in r.body and "<img" not in r.body and "<b>Pakistan" not in r.body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Rosji</mark> &amp; &lt;b&gt;Pakistan&lt;/b&gt;" in r.body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in r.body
    assert "w&lt;i&gt;" in r.body and "S&amp;P &lt;b&gt;" in r.body and "&lt;t&gt;" in r.body
    # Our own tags are the only tags.
    assert set(re.findall(r"<(/?\w+)", r.body)) <= {"html", "/html", "body", "/body", "p", "/p", "b", "/b",
                                                   "div", "/div", "mark", "/mark", "a", "/a", "details",
                                                   "/details", "summary", "/summary"}


def test_email_link_is_escaped_and_only_http():
    r = render(content(url='https://x.example/a?b=1&c="2"><script>'), "email")
    assert 'href="https://x.example/a?b=1&amp;c=%222%22%3E%3Cscript%3E"' in r.body
    r = render(content(url="javascript:alert(1)"), "email")
    assert "href" not in r.body and "javascript:alert(1)" in r.body


# --- Slack ---------------------------------------------------------------------------------------

def _live_slack_markup(body: str) -> list[str]:
    """Everything Slack would parse as markup: a literal '<' starts it, nothing else can."""
    return re.findall(r"<[^>]*>", body)


def test_slack_mentions_in_article_text_stay_text():
    r = render(content(title=HOSTILE, snippet=HOSTILE, snippet_spans=[(0, 5)], source=HOSTILE), "slack")
    # the one live '<…>' is ours: the headline's link, its label the escaped title
    [link] = _live_slack_markup(r.body)
    assert link.startswith("<https://news.example/a?id=1&amp;x=2|Alert &lt;!channel&gt; and &amp;lt;!channel")
    assert "&lt;!channel&gt;" in r.body
    # The article's own escaped form is escaped again: it shows as text, it does not ping.
    assert "&amp;lt;!channel&amp;gt;" in r.body and "&amp;lt;!here&amp;gt;" in r.body
    assert "&lt;@U123ABC&gt;" in r.body and "&lt;http://evil.example|click&gt;" in r.body


def test_slack_escapes_ampersand_first():
    r = render(content(title="A & B &amp; C"), "slack")
    assert "A &amp; B &amp;amp; C" in r.body


def test_slack_link_url_cannot_break_out():
    r = render(content(url="https://x.example/a|<!channel>?q=<@U1>&r=1 2"), "slack")
    links = _live_slack_markup(r.body)
    assert links == ["<https://x.example/a%7C%3C!channel%3E?q=%3C@U1%3E&amp;r=1%202|Pakistan i Rosja rozmawiają>"]
    r = render(content(url="javascript:alert(1)"), "slack")
    assert _live_slack_markup(r.body) == []


def test_slack_bold_highlights_are_safe():
    snippet = "Rozmowy *z* Pakistanem`code` i Rosji"
    spans = [(snippet.index("Pakistanem"), snippet.index("Pakistanem") + 8)]  # mid-word: "Pakistan"
    r = render(content(snippet=snippet, snippet_spans=spans), "slack")
    quote = next(line for line in r.body.splitlines() if line.startswith("> "))
    # Article asterisks and backticks cannot pair with ours; ours are wrapped in zero-width spaces.
    assert quote == "> Rozmowy \u2217z\u2217 \u200b*Pakistan*\u200bem\u02cbcode\u02cb i Rosji"


def test_slack_sends_no_title_separately():
    r = render(content(), "slack")
    assert r.title == "" and r.body.startswith("*newswatch alert — Russia–Pakistan security*")


# --- helpers -------------------------------------------------------------------------------------

def test_spans_are_clamped_sorted_and_merged():
    assert normalise_spans([(5, 9), (0, 3), (2, 4), (8, 100), (-3, 0), (7, 7)], 20) == [(0, 4), (5, 20)]


def test_highlight_uses_raw_offsets_even_when_cleaning_shrinks_text():
    snippet = "a\n\n\t  b  Rosji\x00 c"
    r = render(content(snippet=snippet, snippet_spans=[(snippet.index("Rosji"), snippet.index("Rosji") + 5)]), "generic")
    assert "Snippet: a b [[Rosji]] c" in r.body


def test_find_spans_prefers_whole_words():
    text = "Rosji, nie Rosjianie; ROSJI."
    assert find_spans(text, ["Rosji"]) == [(0, 5), (22, 27)]
    assert find_spans("xRosjix", ["Rosji"]) == [(1, 6)]


def test_clean_and_safe_url():
    assert clean("a\u202eb\x1b[0m\r\nc\u2028d") == "ab [0m c d"
    assert safe_url("ftp://x.example/") is None and safe_url("https://") is None
    assert safe_url("https://x.example/ą b") == "https://x.example/%C4%85%20b"


def test_clean_keeps_joiners_that_spell_a_word_and_drops_stray_ones():
    # Persian and Urdu write a non-joiner inside words; Devanagari a joiner after the virama
    assert clean("می\u200cخواهم همکاری\u200cهای") == "می\u200cخواهم همکاری\u200cهای"
    assert clean("क्\u200dष") == "क्\u200dष"
    # anywhere else they hide nothing a reader needs: at the ends, beside spaces or punctuation, in runs
    assert clean("\u200cRosja\u200d \u200cPakistan\u200c.\u200d") == "Rosja Pakistan."
    assert clean("Ros\u200c\u200cja") == "Rosja"
    r = render(content(title="همکاری\u200cهای نظامی", snippet="روسیه و پاکستان همکاری\u200cهای"), "email")
    assert "همکاری\u200cهای نظامی" in r.title and "همکاری\u200cهای" in r.body


def test_long_matches_stay_within_slack_section_limit():
    snippet = ("Rosji <!channel> & " * 400)
    spans = [(m.start(), m.end()) for m in re.finditer("Rosji", snippet)]
    terms = [{"term": f"t{i}", "form": f"f{i}", "group": "g"} for i in range(100)]
    r = render(content(title="T" * 5000, snippet=snippet, snippet_spans=spans, terms=terms), "slack")
    assert len(r.body) < 3000
    [link] = re.findall(r"<[^>]*>", r.body)
    assert link.startswith("<https://news.example/a?id=1&amp;x=2|TTT") and link.endswith("T…>")
    # a long snippet cannot crowd out what fired: the hit list keeps its first 300 characters
    assert r.body.splitlines()[-1].startswith("*All hits:* t0 — found as \"f0\" (g); t1")
    worst = render(content(snippet="&" * 5000, snippet_spans=[(0, 2000)], title="<" * 5000), "slack")
    assert len(worst.body) <= 2900 and worst.body.splitlines()[1].startswith("*<https://news.example/a?id=1")
    assert worst.body.splitlines()[-1].startswith("*All hits:* Pakistan")


def test_slack_measures_every_part_after_escaping():
    # Escaping multiplies '&' by five: measured before escaping, this alert was 3,823 characters.
    long = content(title="&" * 300, source="&" * 1000, url="https://news.example/?" + "a=1&" * 100,
                   terms=[{"term": "&" * 100, "form": "<" * 100, "group": ">"}] * 30)
    r = render(long, "slack")
    assert len(r.body) <= 2900 and r.body.splitlines()[1].startswith("*<https://news.example/?a=1&amp;a=1")
    assert "&amp;&amp;…" in r.body and "&amp…" not in r.body  # cut between entities, never inside
    too_long = render(content(title="&" * 300, url="https://news.example/" + "a" * 2000), "slack")
    assert len(too_long.body) <= 2900 and "(link not shown: the address is 2,021 characters, too long for Slack)" in too_long.body
    assert re.findall(r"<[^>]*>", too_long.body) == []  # the headline is then plain bold text


def test_slack_article_cannot_italicise_strike_or_quote_code():
    r = render(content(title="_Fake_ ~news~ `x` *y* keeps snake_case"), "slack")
    title = r.body.splitlines()[1]
    assert title == ("*<https://news.example/a?id=1&amp;x=2|"
                     "\u02cdFake\u02cd \u223cnews\u223c \u02cbx\u02cb \u2217y\u2217 keeps snake_case>*")


def test_chat_dialect_neutralises_mentions_and_links_invisibly():
    r = render(content(title="Hi @everyone <@123> <!here> [x](https://evil.example)", snippet="@here a@b.org",
                       snippet_spans=[], url="https://medium.example/@user/a_(b)"), "chat")
    assert r.title.endswith("Hi @\u200beveryone <\u200b@\u200b123> <\u200b!here> [x]\u200b(https://evil.example)")
    assert "Snippet: @\u200bhere a@\u200bb.org" in r.body
    assert "Link: https://medium.example/%40user/a%5F%28b%29" in r.body  # still the same page
    assert render(content(title="Hi @everyone"), "generic").title.endswith("Hi @everyone")


def test_markdown_dialect_escapes_inline_markdown():
    snippet = "x [[y]](https://evil.example) Rosji"
    r = render(content(title="**big** _it_ ~~s~~ ||spoiler|| `c` [x](https://evil.example) a\\b @here",
                       snippet=snippet, snippet_spans=[(snippet.index("Rosji"), len(snippet))]), "markdown")
    title = r.body.splitlines()[0]  # the headline
    assert title == ("\\*\\*big\\*\\* \\_it\\_ \\~\\~s\\~\\~ \\|\\|spoiler\\|\\| \\`c\\` "
                     "\\[x\\]\\(https://evil.example\\) a\\\\b @\u200bhere")
    # Our own [[…]] highlight is escaped with the text around it, so ']](' can never form a link.
    assert "Snippet: x \\[\\[y\\]\\]\\(https://evil.example\\) \\[\\[Rosji\\]\\]" in r.body


def test_slack_fits_when_every_part_is_long():
    # Found by tests/test_render_properties.py: labels were added after the room ran out (2,901).
    every = content(watch="&" * 76, title="&" * 300, source="&" * 300, url="https://news.example/" + "*" * 975,
                    terms=[{"term": "&" * 100, "form": "&", "group": "&"}] * 40, snippet="Rosji " * 300,
                    snippet_spans=[(0, 5)])
    body = render(every, "slack").body
    lines = body.splitlines()
    assert len(body) <= 2900 and lines[-2].startswith("> ") and lines[-1].startswith("*All hits:* ")
    at = datetime(2024, 3, 5, tzinfo=timezone.utc)
    event = SourceEventContent("broken", "&" * 3000, "<" * 3000, at, at, 3, "&" * 3000, None)
    body = render_source_event(event, "slack").body
    assert len(body) <= 2900 and body.count("\n") == 7
