"""Match documents against a set of watches: one automaton pass, then scoring per watch."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace
from typing import Callable

from .automaton import TermIndex
from .explain import make_snippet
from .model import Document, Hit, MatchResult, Watch
from .normalize import fold
from .scoring import FURNITURE_WEIGHT, Occurrence, score
from .segment import Segments

_SEPARATOR = "\n\n"  # between title and text in the combined string


class Matcher:
    """Built once per set of watches (the automaton holds every term of all of them)."""

    def __init__(self, watches: list[Watch]):
        self.watches = list(watches)
        names = [w.name for w in self.watches]
        if len(set(names)) != len(names):
            raise ValueError(f"watch names must be unique: {names}")
        distinct: dict[tuple, int] = {}
        terms = []
        # owners[i]: (watch index, group, term as written) for every use of distinct term i
        self._owners: list[list[tuple[int, str, str]]] = []
        for w_index, watch in enumerate(self.watches):
            for group in watch.groups.values():
                for term in group.terms:
                    index = distinct.get(term.key)
                    if index is None:
                        index = distinct[term.key] = len(terms)
                        terms.append(term)
                        self._owners.append([])
                    owner = (w_index, group.name, term.source)
                    if owner not in self._owners[index]:
                        self._owners[index].append(owner)
        self._index = TermIndex(terms)

    def match(self, doc: Document, structure: Callable[[], tuple] | None = None) -> list[MatchResult]:
        """Results of the watches that fired.

        ``structure``, when given, returns the document's furniture zones (see
        ``pipelines.page_structure.zones_for_item``); it is called only when a watch fired
        without them, and those watches are then matched again with the zones. That is exact,
        not a shortcut: zones only lower a score (furniture hits count less, penalties keep
        their full weight) and only add conditions, so a document that fires with its zones
        fires without them too.
        """
        fired = [r for r in self._run(doc, everything=False) if r.fired]
        if not fired or structure is None or doc.zones:
            return fired
        zones = structure()
        if not zones:
            return fired
        return [r for r in self._run(replace(doc, zones=tuple(zones)), everything=False,
                                     only={r.watch for r in fired}) if r.fired]

    def explain(self, doc: Document) -> list[MatchResult]:
        """A result for every watch, with reasons also for those that did not fire."""
        return self._run(doc, everything=True)

    def _run(self, doc: Document, everything: bool, only: set | None = None) -> list[MatchResult]:
        combined = doc.title + _SEPARATOR + doc.text
        text_offset = len(doc.title) + len(_SEPARATOR)
        folded = fold(combined)
        term_hits = self._index.scan(folded, combined, doc.language)
        per_watch: list[list[tuple]] = [[] for _ in self.watches]
        for hit in term_hits:
            for w_index, group, source in self._owners[hit.term]:
                per_watch[w_index].append((hit, group, source))
        segments = Segments(combined, folded, text_offset)
        starts = sorted({hit.start for hit in term_hits})
        located = dict(zip(starts, zip(*segments.locate(starts)))) if starts else {}
        zone_of = _zone_lookup(doc.zones, text_offset)
        results = []
        for w_index, watch in enumerate(self.watches):
            if only is not None and watch.name not in only:
                continue
            found = per_watch[w_index]
            if not found:
                if everything:
                    results.append(MatchResult(watch.name, False, 0.0, watch.threshold,
                                               reasons=["no terms of this watch found"]))
                continue
            occurrences = []
            for hit, group, source in _longest_per_group(found):
                in_title = hit.start < len(doc.title)
                sentence, paragraph, word = located[hit.start]
                base = watch.title_boost if in_title else 1.0
                zone = "body" if in_title else zone_of(hit.start)
                occurrences.append(Occurrence(
                    id=len(occurrences), term=source, group=group, form=combined[hit.start:hit.end],
                    start=hit.start, end=hit.end, in_title=in_title, sentence=sentence,
                    paragraph=paragraph, word=word,
                    boost=base if zone == "body" else base * FURNITURE_WEIGHT, base_boost=base,
                    zone=zone))
            outcome = score(watch, occurrences, explain=everything)
            if not outcome.fired and not everything:
                results.append(MatchResult(watch.name, False, outcome.score, watch.threshold))
                continue
            results.append(self._result(watch, outcome, doc, combined, text_offset, segments))
        return results

    def _result(self, watch, outcome, doc, combined, text_offset, segments) -> MatchResult:
        visible = [o for o in outcome.kept if watch.shows(o.group)]
        hits = [Hit(o.term, o.group, o.form,
                    o.start if o.in_title else o.start - text_offset,
                    o.end if o.in_title else o.end - text_offset,
                    "title" if o.in_title else "text", o.zone) for o in visible]
        # the snippet shows the article body's evidence when there is any, not a sidebar's
        in_body = [o for o in visible if o.zone == "body"]
        spans = [(o.start, o.end, o.group) for o in (in_body or visible)]
        if any(not o.in_title for o in visible) or not doc.title:
            snippet, snippet_spans = make_snippet(doc.text, segments, spans, text_offset)
        else:
            snippet, snippet_spans = make_snippet(doc.title, segments, spans, 0)
        return MatchResult(watch.name, outcome.fired, outcome.score, watch.threshold, hits,
                           outcome.rules, outcome.reasons, snippet, snippet_spans, watch.title)


def _zone_lookup(zones: tuple, text_offset: int) -> Callable[[int], str]:
    """offset in the combined string -> "body" or the role of the furniture zone holding it."""
    if not zones:
        return lambda offset: "body"
    ordered = sorted(zones, key=lambda z: z.start)
    starts = [z.start + text_offset for z in ordered]

    def zone_of(offset: int) -> str:
        i = bisect_right(starts, offset) - 1
        if i >= 0 and offset < ordered[i].end + text_offset:
            return ordered[i].role
        return "body"
    return zone_of


def _longest_per_group(found: list[tuple]) -> list[tuple]:
    """Within one group, a hit inside a longer hit of the same group is dropped
    ("Rada Bezpieczeństwa" inside "Rada Bezpieczeństwa FR" counts once)."""
    found = sorted(found, key=lambda f: (f[0].start, -f[0].end))
    kept: list[tuple] = []
    reach: dict[str, int] = {}
    for hit, group, source in found:
        if reach.get(group, -1) >= hit.end:
            continue
        kept.append((hit, group, source))
        reach[group] = max(reach.get(group, -1), hit.end)
    return kept
