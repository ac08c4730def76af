"""Alert messages, one renderer per channel. Pure functions: no I/O, no Apprise, no database.

Article text is hostile input. Order of work for every channel:
1. split the snippet at the fired-term spans (offsets are into the raw snippet, so split first);
2. clean each piece: control characters out, whitespace collapsed (one line where a line is due);
3. escape each piece for the channel (HTML, Slack), then add our own markup around it.
Only markup this module writes is live; nothing from an article can become a tag, a header line,
a Slack mention (<!channel>, <@U…>) or a link. Plain text has dialects for the services that read
mentions or Markdown in it ("chat", "markdown": in_dialect; the notifier picks one per service).
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, unquote, urlsplit

from pipelines.clock import as_utc
from pipelines.text import clip

SUBJECT_MAX = 200
TITLE_MAX = 300
SNIPPET_MAX = 1200
TERMS_MAX = 25
TERM_MAX = 120
SLACK_MAX = 2900       # Slack rejects a Block Kit section text over 3000 characters
SLACK_LINE_MAX = 400   # the heading or one fact, after escaping
SLACK_TERMS_MAX = 1000  # the "All hits" line (25 terms), after escaping
SLACK_HITS_KEPT = 300   # of it, what a long snippet cannot take
SLACK_LINK_MAX = 1000  # a longer article link is not sent to Slack (it would crowd out the rest)
WHY_MAX = 300          # the one-line "why": groups, their forms and counts
WHY_FORMS = 4          # forms shown a group in the "why" line; "+N" says how many more
URL_SHOWN = 400        # a link as shown to a person, decoded (sent whole and encoded)


@dataclass(frozen=True)
class AlertContent:
    watch: str
    title: str
    url: str
    source: str
    published_at: datetime | None
    language: str | None
    score: float
    threshold: float
    terms: list[dict] = field(default_factory=list)        # [{term, form, group}]
    snippet: str = ""
    snippet_spans: list[tuple[int, int]] = field(default_factory=list)
    feedback: dict[str, str] = field(default_factory=dict)  # verdict → signed one-click link
    watch_title: str = ""                                   # the watch's human title ("" → its name)
    read_from: str = ""   # what the text matched was, when not the article as published (items.read_from_note)


FEEDBACK_LABELS = {"relevant": "Relevant", "irrelevant": "Not relevant"}


@dataclass(frozen=True)
class RenderedAlert:
    """What a notifier sends. ``body`` is in the channel's format; ``text`` is the plain form."""

    channel: str          # "email" | "slack" | "generic" | "chat" | "markdown"
    title: str            # one line (the email subject); "" for Slack, whose title is in the body
    body: str             # email: HTML; slack: mrkdwn; generic, chat, markdown: plain text
    text: str             # plain-text rendering of the same alert
    data: dict | None = None  # the alert's fields, for services that take data (JSON webhooks)


# --- cleaning -----------------------------------------------------------------------------------

# Bidi overrides can make text read differently from what it is; zero-width marks hide content.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u202a\u202b\u202c\u202d\u202e"
                                    "\u2066\u2067\u2068\u2069"))
# The zero-width non-joiner and joiner are spelling inside a word in Persian, Urdu and the Indic
# scripts ("می\u200cخواهم" reads wrong without it): kept between two letters, removed elsewhere.
_JOINERS = frozenset("\u200c\u200d")


def _is_letter(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM"


def _without_stray_joiners(text: str) -> str:
    if not _JOINERS.intersection(text):
        return text
    kept = [char for i, char in enumerate(text)
            if char not in _JOINERS
            or (0 < i < len(text) - 1 and _is_letter(text[i - 1]) and _is_letter(text[i + 1]))]
    return "".join(kept)


# Unicode categories Cc (C0, DEL, C1), Zl and Zp, as one character class: a regex, not a loop.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _spaced(text: str | None) -> str:
    """Control characters (incl. CR/LF, ESC, NUL) → spaces; invisible marks removed."""
    return _CONTROL.sub(" ", _without_stray_joiners((text or "").translate(_INVISIBLE)))


def clean(text: str | None) -> str:
    """One line: control characters become spaces, runs of space collapse."""
    return " ".join(_spaced(text).split())


def subject(content: AlertContent) -> str:
    """A single header line: a title with CR/LF can never start a new email header."""
    return clip(clean(f"[newswatch] {watch_name(content)}: {content.title or content.url}"), SUBJECT_MAX)


def watch_name(content: AlertContent) -> str:
    """The watch as analysts know it: its title, else its file name."""
    return clean(content.watch_title) or clean(content.watch)


def normalise_spans(spans, length: int) -> list[tuple[int, int]]:
    """Clamp to the snippet, drop empty ones, sort, merge overlaps."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, int(s)), min(length, int(e))) for s, e in spans or ()):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def pieces(content: AlertContent) -> list[tuple[str, bool]]:
    """The snippet as (cleaned text, highlighted?) pieces, split on the raw offsets first."""
    snippet = content.snippet or ""
    out, pos = [], 0
    for start, end in normalise_spans(content.snippet_spans, len(snippet)):
        out += [(snippet[pos:start], False), (snippet[start:end], True)]
        pos = end
    out.append((snippet[pos:], False))
    # Clean each piece but keep the single spaces that separated them.
    result = []
    for text, hit in out:
        text = _spaced(text)
        cleaned = clean(text)
        if not cleaned:
            if text and not hit:
                result.append((" ", False))
            continue
        lead = " " if text[:1].isspace() and not hit else ""
        trail = " " if text[-1:].isspace() and not hit else ""
        result.append((lead + cleaned + trail, hit))
    return _clip_pieces(result, SNIPPET_MAX)


def _clip_pieces(parts: list[tuple[str, bool]], limit: int) -> list[tuple[str, bool]]:
    out, used = [], 0
    for text, hit in parts:
        if used + len(text) > limit:
            out.append((text[: max(0, limit - used)].rstrip() + "…", hit))
            break
        out.append((text, hit))
        used += len(text)
    return out


def find_spans(snippet: str, forms) -> list[tuple[int, int]]:
    """Offsets of each form in the snippet (whole words first, any occurrence if none)."""
    spans = []
    for form in {f for f in forms if f}:
        pattern = re.escape(form)
        hits = list(re.finditer(rf"(?<!\w){pattern}(?!\w)", snippet, re.IGNORECASE)) or list(
            re.finditer(pattern, snippet, re.IGNORECASE))
        spans += [m.span() for m in hits]
    return normalise_spans(spans, len(snippet))


def term_lines(content: AlertContent) -> list[str]:
    """The full hit list: 'term — found as "form" (group)', once per term and form, in the
    matcher's order."""
    seen, lines = set(), []
    for t in content.terms or ():
        term, form, group = clean(str(t.get("term", ""))), clean(str(t.get("form", ""))), clean(
            str(t.get("group") or ""))
        if (term, form) in seen:
            continue
        seen.add((term, form))
        found = f' — found as "{form}"' if form and form != term else ""
        lines.append(clip(f"{term}{found}" + (f" ({group})" if group else ""), TERM_MAX))
    if len(lines) > TERMS_MAX:
        lines = lines[:TERMS_MAX] + [f"… and {len(lines) - TERMS_MAX} more"]
    return lines


def why_line(content: AlertContent) -> str:
    """One line a phone shows whole: each group that fired, the most hits first, with its distinct
    forms as found (case aside) and how often each was found, at most WHY_FORMS a group:
    "russia: Rosji ×3, Moskwie · pakistan: Pakistanem"."""
    groups: dict[str, dict[str, list]] = {}  # group → casefolded form → [form as first found, count]
    for t in content.terms or ():
        form = clean(str(t.get("form") or t.get("term") or ""))
        if not form:
            continue
        group = clean(str(t.get("group") or "")).replace("_", " ")
        seen = groups.setdefault(group, {}).setdefault(form.casefold(), [form, 0])
        seen[1] += 1
    ranked = sorted(groups.items(), key=lambda item: -sum(count for _, count in item[1].values()))
    parts = []
    for group, forms in ranked:
        # a few forms a group, so a topic found in twenty words leaves room for the countries
        found = list(forms.values())
        shown = ", ".join(f"{form} ×{count}" if count > 1 else form for form, count in found[:WHY_FORMS])
        if len(found) > WHY_FORMS:
            shown += f" +{len(found) - WHY_FORMS}"
        parts.append(f"{group}: {shown}" if group else shown)
    return clip(" · ".join(parts), WHY_MAX) or "(no terms recorded)"


def byline(content: AlertContent) -> str:
    """Source · published · language, on one line."""
    published = as_utc(content.published_at)
    return " · ".join((clean(content.source) or "unknown source",
                       published.strftime("%Y-%m-%d %H:%M UTC") if published else "date unknown",
                       clean(content.language) or "language unknown"))


def facts(content: AlertContent) -> list[tuple[str, str]]:
    """The labelled lines under the headline, as cleaned plain text."""
    lines = [
        ("Why", why_line(content)),
        ("Score", f"{content.score:g} (threshold {content.threshold:g})"),
    ]
    read_from = clean(content.read_from)
    if read_from:
        lines.append(("Read from", clip(read_from, WHY_MAX)))
    return lines


def safe_url(url: str | None) -> str | None:
    """An http(s) URL with no whitespace, quotes or angle brackets, or None if it is not one."""
    url = clean(url)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # Percent-encode what could end an attribute, a Slack link or a line; keep the rest as is.
    return quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")


def readable_url(url: str | None) -> str:
    """A link as a person reads it: percent-escapes decoded (a Cyrillic or Urdu slug is a tenth
    as long as its escapes), cut at URL_SHOWN characters. Shown only: what is sent is safe_url's
    encoded form. Decoded escapes are cleaned like any article text (no control or bidi marks)."""
    return clip(clean(unquote(clean(url), errors="replace")), URL_SHOWN)


# --- one message, every channel ----------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    """An alert before any channel's markup: cleaned plain text, in the order it is shown.

    Analysts' alerts (a match) fill every field; operators' (a source event) only the first three.
    Each channel renderer below lays out both kinds from this one shape.
    """

    subject: str                                   # one line: email subject, console title
    heading: str                                   # first line of the email and Slack body
    facts: list[tuple[str, str]]                   # labelled lines
    terms: list[str] | None = None                 # the full hit list, shown last ("All hits")
    headline: str | None = None                    # the article's title, shown as its link
    byline: str = ""                               # source · published · language
    watch: str = ""                                # the watch's title (plain text has no heading)
    snippet: list[tuple[str, bool]] | None = None  # (text, highlighted?) pieces
    url: str | None = None                         # the article link (raw; made safe per channel)
    feedback: tuple[tuple[str, str], ...] = ()     # (label, signed URL): the analyst's one-click verdicts


def match_message(content: AlertContent) -> Message:
    feedback = tuple((FEEDBACK_LABELS[v], url) for v, url in content.feedback.items() if v in FEEDBACK_LABELS)
    return Message(subject=subject(content), heading=f"newswatch alert — {watch_name(content)}",
                   facts=facts(content), terms=term_lines(content), snippet=pieces(content), url=content.url,
                   feedback=feedback, headline=clip(clean(content.title) or "(untitled)", TITLE_MAX),
                   byline=byline(content), watch=watch_name(content))


def no_mentions(text: str) -> str:
    """A zero-width space after each '@' and '<' that starts something, and inside '](': no
    service then reads a mention (@everyone, @here, @room, <@id>, <!channel>, <users/all>) or a
    link (<http…>, [text](url)) in the text, and it reads the same."""
    return _STARTS.sub(lambda m: m.group() + "\u200b", text)


def no_markdown(text: str) -> str:
    """no_mentions, and a backslash before each inline Markdown character (CommonMark escapes;
    Discord's, Mattermost's and Zulip's Markdown honour them). Block syntax (#, >, -) needs none:
    every line we write starts with our own label."""
    return no_mentions(_MARKDOWN.sub(lambda m: "\\" + m.group(), text))


_STARTS = re.compile(r"[@\uff20<](?=[^\s\u200b])|\](?=\()")  # not again where it is done
_MARKDOWN = re.compile(r"[\\`*_~|\[\]()]")
DIALECTS = {"generic": lambda text: text, "chat": no_mentions, "markdown": no_markdown}
_URL_WORD = re.compile(r"https?://\S+", re.IGNORECASE)
# Percent-encoded in a link, so a link can carry no mention or Markdown either (and still works).
_URL_INERT = str.maketrans({c: "".join(f"%{b:02X}" for b in c.encode()) for c in "@\uff20<>*_~|()`\\"})


def in_dialect(text: str, dialect: str) -> str:
    """Plain text for a service's ``dialect`` (DIALECTS): each http(s) URL, a word of its own,
    keeps working with its inert characters percent-encoded; every other word is escaped."""
    if dialect == "generic":
        return text
    esc = DIALECTS[dialect]
    return "".join(word.translate(_URL_INERT) if _URL_WORD.fullmatch(word) else esc(word)
                   for word in re.split(r"(\s+)", text))


def render_plain(message: Message, dialect: str = "generic") -> RenderedAlert:
    """Plain text for the console and for Apprise targets we do not render natively, in the
    ``dialect`` of the service ("chat", "markdown": see in_dialect). An analyst's alert: the
    headline, source · date · language, the watch, why, the score, the snippet, the link (encoded:
    the form a plain-text reader can open), the verdict links, and the full hit list last."""
    lines = [message.headline, message.byline, f"Watch: {message.watch}"] if message.headline is not None else []
    lines += [f"{label}: {value}" for label, value in message.facts]
    if message.terms is not None:
        snippet = "".join(f"[[{t}]]" if hit else t for t, hit in message.snippet or ()).strip()
        lines.append(f"Snippet: {snippet}" if snippet else "Snippet: (none)")
        lines.append(f"Link: {safe_url(message.url) or clean(message.url) or '(none)'}")
    lines += [f"Mark {label.lower()}: {url}" for label, url in message.feedback if safe_url(url)]
    if message.terms is not None:
        lines.append("All hits: " + ("; ".join(message.terms) or "(no terms recorded)"))
    text = in_dialect("\n".join(lines), dialect)
    return RenderedAlert(dialect, in_dialect(message.subject, dialect), text, text)


MUTED = "color:#5f6368"  # secondary lines: grey that stays readable in light and dark mail themes


def render_email(message: Message) -> RenderedAlert:
    """HTML body (everything escaped, terms in <mark>) plus its plain-text twin, laid out for a
    phone: the headline is the link, source · date · language under it, then why, the snippet,
    the verdict links, and the full hit list folded at the end. Links show decoded and are sent
    encoded.

    Apprise derives the text/plain alternative from this HTML itself, so the HTML is laid out to
    convert cleanly: one <p>/<div> per line, no newlines between elements (each would become an
    extra blank line).
    """
    esc = html.escape
    url = safe_url(message.url)
    parts = [f'<p style="{MUTED};font-size:13px;margin:0 0 6px">{esc(message.heading)}</p>']
    if message.headline is not None:
        title = f'<a href="{esc(url)}">{esc(message.headline)}</a>' if url else esc(message.headline)
        parts.append(f'<p dir="auto" style="font-size:18px;line-height:1.3;margin:0 0 4px"><b>{title}</b></p>')
        parts.append(f'<div style="{MUTED};font-size:14px">{esc(message.byline)}</div>')
        shown = readable_url(message.url) or "(no link)"
        parts.append(f'<div style="{MUTED};font-size:12px;word-break:break-all;margin-bottom:8px">{esc(shown)}</div>')
    parts += [f"<div><b>{esc(label)}:</b> {esc(value)}</div>" for label, value in message.facts]
    if message.terms is not None:
        snippet = "".join(f"<mark>{esc(t)}</mark>" if hit else esc(t) for t, hit in message.snippet or ()).strip()
        parts.append(f'<p dir="auto" style="margin:8px 0;padding-left:10px;border-left:3px solid #dadce0">'
                     f'{snippet or "(no snippet)"}</p>')
    verdicts = [f'<a href="{esc(link)}">{esc(label)}</a>' for label, link in message.feedback if safe_url(link)]
    if verdicts:
        parts.append(f"<p><b>Your verdict:</b> {' &middot; '.join(verdicts)}</p>")
    if message.terms is not None:
        hits = "".join(f"<div>&bull; {esc(line)}</div>" for line in message.terms) or "<div>(no terms recorded)</div>"
        parts.append(f'<details style="{MUTED};font-size:13px"><summary>All hits ({len(message.terms)})</summary>'
                     f"{hits}</details>")
    body = f"<html><body>{''.join(parts)}</body></html>"
    return RenderedAlert("email", message.subject, body, render_plain(message).text)


def slack_escape(text: str) -> str:
    """Slack's three control characters, and its formatting characters made inert.

    '&' first, so an article's own '&lt;!channel&gt;' becomes '&amp;lt;…' and shows as text.
    '*', '`' and '~' become look-alikes, and so does '_' where it could open or close _italics_
    (next to a non-word character), so article text cannot open or close our bold, a code span,
    a strike-through or italics. Each character becomes text of a fixed length, so the lengths of
    escaped characters add up (_slack_fit relies on it).
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SLACK_UNDERSCORE.sub("\u02cd", text.translate(_SLACK_LOOKALIKES))


_SLACK_LOOKALIKES = str.maketrans({"*": "\u2217", "`": "\u02cb", "~": "\u223c"})
_SLACK_UNDERSCORE = re.compile(r"(?<!\w)_|_(?!\w)")


def slack_bold(text: str) -> str:
    # Zero-width spaces let *bold* work mid-word (Slack needs a boundary next to the asterisks).
    return f"\u200b*{slack_escape(text.strip())}*\u200b" if text.strip() else ""


def slack_link(url: str | None, label: str) -> str:
    """<url|label> with a URL that cannot close the link or add a second label."""
    url = safe_url(url)
    if not url:
        return slack_escape(label)
    url = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E").replace("&", "&amp;")
    return f"<{url}|{label}>"


def render_slack(message: Message) -> RenderedAlert:
    """Slack mrkdwn, sent verbatim (see notifier). Every part is escaped first and measured after,
    in the order shown, so the whole text stays within SLACK_MAX whatever the article holds: each
    line gets at most its own limit, the snippet what is left, and the full hit list (last) what
    the snippet leaves."""
    url = safe_url(message.url)
    bare_link = slack_link(url, "") if url else ""  # "<url|>": the headline goes before the ">"
    link_ok = bool(bare_link) and len(bare_link) <= SLACK_LINK_MAX
    parts = [("*", message.heading, "*", SLACK_LINE_MAX)]
    if message.headline is not None:
        # the headline is the link: its label is escaped text, so it cannot close the link
        prefix = "*" + (bare_link.removesuffix(">") if link_ok else "")
        parts.append((prefix, message.headline, (">" if link_ok else "") + "*", SLACK_LINE_MAX))
        parts.append(("", message.byline, "", SLACK_LINE_MAX))
    parts += [(f"*{slack_escape(label)}:* ", value, "", SLACK_LINE_MAX) for label, value in message.facts]
    tail = []
    if message.terms is not None:
        if url and not link_ok:
            tail.append(f"(link not shown: the address is {len(url):,} characters, too long for Slack)")
        verdicts = [slack_link(link, label) for label, link in message.feedback if safe_url(link)]
        if verdicts and len(" · ".join(verdicts)) <= SLACK_LINK_MAX:
            tail.append("Your verdict: " + " · ".join(verdicts))
    # Our own text first (labels, newlines, links, the shortest snippet line): values share the rest.
    empty = "> (no snippet)"
    hits_label = "*All hits:* "
    room = SLACK_MAX - sum(len(prefix + suffix) + 1 for prefix, _, suffix, _ in parts)
    room -= sum(len(line) + 1 for line in tail)
    hits = "; ".join(message.terms or ()) or "(no terms recorded)"
    kept_for_hits = 0
    if message.terms is not None:
        room -= len(empty) + 1 + len(hits_label) + 2  # newline, and at least "…" of the hits
        # the start of the hit list is kept however long the snippet: it says what fired
        kept_for_hits = max(0, min(SLACK_HITS_KEPT, len(slack_escape(hits)), room - SLACK_HITS_KEPT))
        room -= kept_for_hits
    lines = []
    for prefix, value, suffix, limit in parts:
        fitted = _slack_fit([(value, False)], min(limit, room))
        lines.append(prefix + fitted + suffix)
        room -= len(fitted)
    if message.terms is not None:
        snippet = _slack_fit(message.snippet or [], room + len(empty) - len("> ")).strip()
        lines.append(f"> {snippet}" if snippet else empty)
        room -= max(0, len(lines[-1]) - len(empty))
        lines += tail
        lines.append(hits_label + _slack_fit([(hits, False)], max(1, min(SLACK_TERMS_MAX, room + kept_for_hits))))
    return RenderedAlert("slack", "", "\n".join(lines), render_plain(message).text)


def _slack_fit(parts: list[tuple[str, bool]], budget: int) -> str:
    """Pieces escaped (highlights in bold) and cut to ``budget`` characters *after* escaping, at
    a character of the source, so no entity or bold marker is ever cut in half."""
    out, used = [], 0
    for text, hit in parts:
        render_piece = slack_bold if hit else slack_escape
        piece = render_piece(text)
        if used + len(piece) <= budget:
            out.append(piece)
            used += len(piece)
            continue
        room, cut = budget - used - 1 - (4 if hit else 0), 0  # 1 for "…", 4 for ​*…*​
        for ch in text:
            room -= len(slack_escape(ch))
            if room < 0:
                break
            cut += 1
        if budget - used >= 1:
            out.append((render_piece(text[:cut]) if cut else "") + "…")
        break
    return "".join(out)


RENDERERS = {"email": render_email, "slack": render_slack, "generic": render_plain,
             "chat": lambda message: render_plain(message, "chat"),
             "markdown": lambda message: render_plain(message, "markdown")}


def render_message(message: Message, channel: str) -> RenderedAlert:
    return RENDERERS.get(channel, render_plain)(message)


def render(content: AlertContent, channel: str) -> RenderedAlert:
    """An analyst's alert for ``channel`` ("email", "slack", "chat", "markdown"; anything else is
    plain text)."""
    return render_message(match_message(content), channel)


# --- operators' alerts: a source broke, a source recovered -------------------------------------

@dataclass(frozen=True)
class SourceEventContent:
    """What an operator is told about a source. ``at`` is when it happened."""

    kind: str                          # "broken" | "recovered"
    source: str
    url: str
    at: datetime
    failing_since: datetime | None     # first failed poll of the run
    failures: int                      # consecutive failed polls
    last_error: str | None
    last_success_at: datetime | None   # before the failures began


ERROR_SHOWN = 500


def _when(value: datetime | None) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def duration_text(seconds: float) -> str:
    """3 d 4 h, 2 h 5 min, 12 min, 40 s: the two largest units."""
    seconds = max(0, int(seconds))
    parts = [(seconds // 86400, "d"), (seconds % 86400 // 3600, "h"), (seconds % 3600 // 60, "min"),
             (seconds % 60, "s")]
    shown = [f"{n} {unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0 s"


def source_subject(content: SourceEventContent) -> str:
    state = "recovered" if content.kind == "recovered" else "broken"
    return clip(clean(f"[newswatch] source {state}: {content.source}"), SUBJECT_MAX)


def source_facts(content: SourceEventContent) -> list[tuple[str, str]]:
    """The operator message as labelled lines of cleaned plain text."""
    facts = [("Source", clean(content.source)), ("URL", clean(content.url) or "(none)")]
    error = clip(clean(content.last_error) or "(none recorded)", ERROR_SHOWN)
    if content.kind == "recovered":
        since = content.failing_since
        down = duration_text((content.at - since).total_seconds()) if since else "unknown"
        facts += [
            ("Status", "recovered: polled successfully again"),
            ("Down for", f"{down} (failing since {_when(since)}, {content.failures} failed polls)"),
            ("Recovered at", _when(content.at)),
            ("Last error", error),
        ]
    else:
        facts += [
            ("Status", f"broken: {content.failures} consecutive failed polls"),
            ("Failing since", _when(content.failing_since)),
            ("Last success", _when(content.last_success_at)),
            ("Last error", error),
            ("What now", "newswatch keeps polling it, backing off; one more message when it recovers"),
        ]
    return facts


def render_source_event(content: SourceEventContent, channel: str) -> RenderedAlert:
    """A short operator message for ``channel``, escaped like every other alert."""
    title = source_subject(content)
    return render_message(Message(subject=title, heading=title, facts=source_facts(content)), channel)
