"""Digest messages: many alerts for one target in one message, grouped by watch and by story.

A digest lists each alert on one or two lines (title, source, score and the strongest hit, the
other outlets that carried the same story, the link) under its watch; an operator's source events
come under "Sources". A digest longer than the channel allows is split into parts, never inside
an entry, and each part says which alerts it carries, so the outbox can record them exactly.
Text is cleaned and escaped for the channel exactly as single alerts are (pipelines.render).
"""
from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass, field

from pipelines.render import FEEDBACK_LABELS, RenderedAlert, clean, safe_url, slack_escape, slack_link
from pipelines.text import clip

SOURCES = "Sources"  # the group of operators' alerts (a source broke or recovered)
# Characters per message part, by channel: Slack's section limit with room to spare; what mail
# clients show without clipping; a chat service's usual message limit for everything else.
LIMITS = {"slack": 2900, "email": 100_000}
DEFAULT_LIMIT = 3500
TITLE_SHOWN = 160


@dataclass(frozen=True)
class DigestItem:
    """One entry: one alert, or several alerts of one story under one watch."""

    alert_ids: tuple[int, ...]
    group: str                  # the watch, or SOURCES
    title: str
    url: str | None
    source: str
    detail: str                 # "score 25 (threshold 10), hit "Pakistanem" (Pakistan)" or a source's state
    also: tuple[str, ...] = ()  # other outlets that carried the same story
    feedback: dict = field(default_factory=dict)  # verdict → signed one-click link (email, Slack)


def render_digest(items: list[DigestItem], channel: str, limit: int | None = None) -> list[tuple[RenderedAlert, list[int]]]:
    """The digest for ``channel`` as parts within ``limit`` characters: [(message, alert ids)]."""
    limit = limit or LIMITS.get(channel, DEFAULT_LIMIT)
    layout = _LAYOUTS.get(channel, _PLAIN)
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[item.group] += len(item.alert_ids)
    total = sum(counts.values())
    ordered = sorted(items, key=lambda item: list(counts).index(item.group))  # group by group, stably
    parts: list[list[DigestItem]] = [[]]
    for item in ordered:
        if parts[-1] and len(_body(layout, parts[-1] + [item], counts, 999, 999)) > limit:
            parts.append([])
        parts[-1].append(item)
    subject = _subject(counts, total)
    rendered = []
    for n, part in enumerate(parts, start=1):
        title = subject if len(parts) == 1 else f"{subject} (part {n} of {len(parts)})"
        body, text = _body(layout, part, counts, n, len(parts)), _body(_PLAIN, part, counts, n, len(parts))
        rendered.append((RenderedAlert(layout.channel, "" if layout.channel == "slack" else title, body, text),
                         [alert_id for item in part for alert_id in item.alert_ids]))
    return rendered


def _body(layout: "_Plain", part: list[DigestItem], counts: dict[str, int], n: int, of: int) -> str:
    lines, last = [layout.heading(sum(counts.values()), n, of)], None
    for item in part:
        if item.group != last:
            lines.append(layout.group(item.group, counts[item.group]))
            last = item.group
        lines.append(layout.entry(item))
    return layout.wrap(lines)


def _subject(counts: dict[str, int], total: int) -> str:
    per_group = ", ".join(f"{clean(group)} {count}" for group, count in counts.items())
    return clip(f"[newswatch] digest: {total} alerts ({per_group})", 200)


def _title(item: DigestItem) -> str:
    return clip(clean(item.title) or "(untitled)", TITLE_SHOWN)


def _also(item: DigestItem) -> str:
    return f"; also reported by {', '.join(clean(s) for s in item.also)}" if item.also else ""


class _Plain:
    channel = "generic"

    def esc(self, text: str) -> str:
        return text

    def heading(self, total: int, part: int, parts: int) -> str:
        return f"newswatch digest: {total} alerts" + (f" (part {part} of {parts})" if parts > 1 else "")

    def group(self, name: str, count: int) -> str:
        return f"\n{self.esc(clean(name))} ({count})"

    def entry(self, item: DigestItem) -> str:
        line = f"- {self.esc(_title(item))} — {self.esc(clean(item.source) or 'unknown')}, {self.esc(clean(item.detail))}"
        link = safe_url(item.url)
        return line + self.esc(_also(item)) + (f"\n  {link}" if link else "")

    def wrap(self, lines: list[str]) -> str:
        return "\n".join(lines)


class _Email(_Plain):
    channel = "email"

    def heading(self, total: int, part: int, parts: int) -> str:
        return f"<p><b>{html.escape(super().heading(total, part, parts))}</b></p>"

    def group(self, name: str, count: int) -> str:
        return f"<p><b>{html.escape(clean(name))} ({count})</b></p>"

    def entry(self, item: DigestItem) -> str:
        link = safe_url(item.url)
        title = html.escape(_title(item))
        title = f'<a href="{html.escape(link)}">{title}</a>' if link else title
        rest = html.escape(f" — {clean(item.source) or 'unknown'}, {clean(item.detail)}{_also(item)}")
        verdicts = "".join(f' &middot; <a href="{html.escape(url)}">{FEEDBACK_LABELS[v].lower()}</a>'
                           for v, url in item.feedback.items() if v in FEEDBACK_LABELS and safe_url(url))
        return f'<div style="margin-bottom:0.6em">&bull; {title}{rest}{verdicts}</div>'

    def wrap(self, lines: list[str]) -> str:
        return f"<html><body>{''.join(lines)}</body></html>"


class _Slack(_Plain):
    channel = "slack"

    def heading(self, total: int, part: int, parts: int) -> str:
        return f"*{slack_escape(super().heading(total, part, parts))}*"

    def group(self, name: str, count: int) -> str:
        return f"*{slack_escape(clean(name))}* ({count})"

    def entry(self, item: DigestItem) -> str:
        title = slack_escape(_title(item))
        shown = slack_link(item.url, title) if safe_url(item.url) else title
        rest = slack_escape(f" — {clean(item.source) or 'unknown'}, {clean(item.detail)}{_also(item)}")
        verdicts = "".join(f" · {slack_link(url, FEEDBACK_LABELS[v].lower())}"
                           for v, url in item.feedback.items() if v in FEEDBACK_LABELS and safe_url(url))
        return f"• {shown}{rest}{verdicts}"


_PLAIN = _Plain()
_LAYOUTS = {"email": _Email(), "slack": _Slack()}
