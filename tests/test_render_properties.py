"""Property-based: whatever an article holds (titles, snippets, spans, URLs, terms, sources), no
channel's output carries live markup we did not write, Slack's stays under its limit, a csv runs no
formula, and nothing raises. Examples are bounded (EXAMPLES each) so the fast lane stays fast."""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from datetime import UTC, datetime
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.output import render as render_rows
from pipelines.notifier import assert_no_live_slack_markup
from pipelines.render import (
    SLACK_MAX,
    AlertContent,
    SourceEventContent,
    render,
    render_source_event,
    safe_url,
)

EXAMPLES = 200
# No example database: nothing is written into the checkout; a failure prints its example and seed.
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# What articles write to break out, mixed with arbitrary text and long runs of escapable characters.
HOSTILE = ["<!channel>", "&lt;!here&gt;", "<@U1>", "<#C1>", "@everyone", "@here", "\uff20all", "#general",
           "*", "**", "_", "~~", "`", "||", "&", "&amp;", "<", ">", "|", "\\", "[x](https://evil.example)",
           "](", "<https://evil.example|x>", "https://evil.example/a_b", "<script>", "\"'", "\u202e", "\u2066",
           "\u200b", "\x00", "\x1b[31m", "\x9b", "\n", "\r\n", "\u2028", "\t", "=", "+", "-", "@", " "]
short = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12)), max_size=25).map("".join)
runs = st.builds(lambda piece, n: piece * n, st.sampled_from(["&", "<", "*", "a", "&<>", "_ ", "@here "]),
                 st.integers(0, 1500))
text = st.one_of(short, short, runs)
urls = st.one_of(text, st.builds(lambda path: "https://news.example/" + path, text),
                 st.sampled_from(["https://news.example/a?id=1&x=2", "javascript:alert(1)", "http://[::1]/a"]))
spans = st.lists(st.tuples(st.integers(-5, 3000), st.integers(-5, 3000)), max_size=12)
terms = st.lists(st.fixed_dictionaries({"term": text, "form": text, "group": st.one_of(st.none(), text)}),
                 max_size=40)
dates = st.one_of(st.none(), st.datetimes(timezones=st.just(UTC)))
numbers = st.floats(allow_nan=True, allow_infinity=True)

alerts = st.builds(AlertContent, watch=text, title=text, url=urls, source=text, published_at=dates,
                   language=st.one_of(st.none(), text), score=numbers, threshold=numbers, terms=terms,
                   snippet=text, snippet_spans=spans, read_from=text)
events = st.builds(SourceEventContent, kind=st.sampled_from(["broken", "recovered"]), source=text, url=urls,
                   at=st.just(datetime(2024, 3, 5, tzinfo=UTC)), failing_since=dates,
                   failures=st.integers(0, 10**6), last_error=st.one_of(st.none(), text), last_success_at=dates)


def rendered(channel):
    """An analyst's alert or an operator's, for ``channel``."""
    return st.one_of(alerts.map(lambda c: render(c, channel)), events.map(lambda e: render_source_event(e, channel)))


# --- Slack --------------------------------------------------------------------------------------

OUR_SLACK = re.compile(
    r"^\*<https?://[^|<>\s]+\||>\*$"        # the headline's link around its (escaped) title
    r"|^\*[^*\n]*\*"                         # the heading and each "*Label:*"
    r"|\u200b\*[^*\n]*\*\u200b",             # a highlighted term
    re.MULTILINE)


@SETTINGS
@given(rendered("slack"))
def test_slack_has_only_our_markup_and_fits(alert):
    body = alert.body
    assert_no_live_slack_markup(body)
    assert len(body) <= SLACK_MAX < 3000
    theirs = OUR_SLACK.sub("", body)
    assert not re.search(r"[*`~]", theirs), theirs
    assert not re.search(r"(?<!\w)_|_(?!\w)", theirs), theirs      # no _italics_ can open or close
    assert not re.search(r"&(?!amp;|lt;|gt;)", theirs), theirs     # every '&' is one of Slack's three


# --- email --------------------------------------------------------------------------------------

OUR_TAGS = {"html", "body", "p", "b", "div", "mark", "a", "details", "summary"}


class Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self.other = [], []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, tuple(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.other.append(tag)

    def handle_comment(self, data):
        self.other.append("<!--")

    def handle_decl(self, decl):
        self.other.append(decl)

    def handle_pi(self, data):
        self.other.append(data)

    def unknown_decl(self, data):
        self.other.append(data)


@SETTINGS
@given(rendered("email"))
def test_email_has_only_our_tags(alert):
    parser = Tags()
    parser.feed(alert.body)
    parser.close()
    assert parser.other == []
    for tag, attrs in parser.found:
        assert tag in OUR_TAGS, tag
        for name, value in attrs:
            assert (tag, name) in {("a", "href"), ("p", "style"), ("p", "dir"), ("div", "style"),
                                   ("details", "style")}, (tag, name)
            assert name != "href" or safe_url(value) == value
            assert name != "dir" or value == "auto"  # the text's own direction, never one forced on it
    assert "\n" not in alert.title and "\r" not in alert.title


# --- plain text dialects ------------------------------------------------------------------------

@SETTINGS
@given(rendered("chat"))
def test_chat_text_has_no_live_mention_or_link(alert):
    for text in (alert.title, alert.text):
        assert not re.search(r"[@\uff20<](?![\u200b\s]|$)", text), text
        assert "](" not in text


@SETTINGS
@given(rendered("markdown"))
def test_markdown_text_escapes_every_inline_markdown_character(alert):
    for text in (alert.title, alert.text):
        assert not re.search(r"[@\uff20<](?![\u200b\s]|$)", text), text
        for word in text.split():
            if re.fullmatch(r"https?://\S+", word, re.IGNORECASE):  # a link: inert characters encoded
                assert not re.search(r"[@\uff20<>*_~|()`\\]", word), word
            else:                                                   # anything else: escaped
                assert not re.search(r"[\\`*_~|\[\]()]", re.sub(r"\\.", "", word)), word


@SETTINGS
@given(rendered("generic"))
def test_plain_text_is_clean_lines(alert):
    assert "\n" not in alert.title
    for line in alert.text.splitlines():
        assert not any(unicodedata.category(ch) == "Cc" or ch in "\u202e\u2066\u200b" for ch in line), line


# --- csv, table, json ---------------------------------------------------------------------------

cells = st.one_of(text, numbers, st.integers(), st.none(), st.lists(text, max_size=3))
rows = st.lists(st.fixed_dictionaries({"title": cells, "score": cells, "terms": cells}), min_size=1, max_size=5)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


@SETTINGS
@given(rows)
def test_csv_has_no_formula_cell(data):
    [_, *values] = list(csv.reader(io.StringIO(render_rows(data, "csv"))))
    for cell in (c for row in values for c in row):
        assert not cell.startswith(FORMULA_START) or NUMBER.fullmatch(cell), cell


@SETTINGS
@given(rows)
def test_table_and_json_hold_no_terminal_controls(data):
    unsafe = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
    assert not unsafe.search(render_rows(data, "table"))
    output = render_rows(data, "json")
    assert not unsafe.search(output.replace("\n", " "))
    assert json.loads(output) == json.loads(json.dumps(data))  # the same data
