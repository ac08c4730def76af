"""Decide whether a watch fires: exclusions, rule expressions, weights, threshold, reasons.

Every expression evaluates to a Value: how many times it holds (``raw``), the same count with
title occurrences multiplied by the title boost (``weighted``, used for the score), and the
hits that support it. SENTENCE/PARAGRAPH count the units where all operands hold; NEAR counts
the hits of its first operand that have the others within N words.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, replace

from .expr import And, AtLeast, Group, Lead, Near, Not, Or, Phrase, Within, phrase_group, render
from .model import Watch


@dataclass(eq=False)
class Occurrence:
    """One hit while scoring; offsets are in the combined title + text string."""

    id: int
    term: str
    group: str
    form: str
    start: int
    end: int
    in_title: bool
    sentence: int      # numbers that are equal for hits in the same sentence / paragraph
    paragraph: int
    word: int          # word number, for distances in words
    boost: float       # the title boost for title hits, else 1; × FURNITURE_WEIGHT in furniture
    base_boost: float | None = None  # the boost without the furniture factor (default: boost)
    zone: str = "body"  # "body", or the furniture role of the text around the hit

    def __post_init__(self):
        if self.base_boost is None:
            self.base_boost = self.boost


# A hit in page furniture (a "related" box, navigation, a caption: Document.zones) counts this
# much of a hit in the article body, in group and positive rule weights. Penalties (negative
# weights) count furniture hits fully, and required rules must hold on body hits alone, so
# furniture can lower a score or stop a watch from firing, never make it fire.
FURNITURE_WEIGHT = 0.25
_ROLE_WORDS = {"related": "related links", "navigation": "navigation", "caption": "captions",
               "boilerplate": "page furniture"}


@dataclass(frozen=True)
class Value:
    raw: int = 0
    weighted: float = 0.0
    hits: tuple = ()

    def __bool__(self) -> bool:
        return self.raw > 0


FALSE = Value()


@dataclass
class Outcome:
    fired: bool
    score: float
    kept: list[Occurrence]
    rules: list[str]
    reasons: list[str]


class Evaluator:
    def __init__(self, watch: Watch, occurrences: list[Occurrence]):
        self.watch = watch
        self.occurrences = occurrences
        self.by_id = {occ.id: occ for occ in occurrences}
        self.by_group: dict[str, list[Occurrence]] = {}
        for occ in occurrences:
            self.by_group.setdefault(occ.group, []).append(occ)
        self._members = {name: watch.members(name) for name in watch.groups}
        self._by_word: tuple[list[int], list[Occurrence]] | None = None

    # -- evaluation ------------------------------------------------------------------------
    def hits_of(self, name: str, allowed: frozenset | None) -> list[Occurrence]:
        members = self._members.get(name) or frozenset((name,))
        if allowed is not None:
            # scopes (a sentence, a window) hold few hits: look only at those
            return [self.by_id[i] for i in sorted(allowed)
                    if i in self.by_id and self.by_id[i].group in members]
        return sorted((occ for member in members for occ in self.by_group.get(member, ())),
                      key=lambda o: o.id)

    def eval(self, node, allowed: frozenset | None = None) -> Value:
        if isinstance(node, (Group, Phrase)):
            name = node.name if isinstance(node, Group) else phrase_group(node.text)
            hits = self.hits_of(name, allowed)
            return Value(len(hits), sum(h.boost for h in hits), tuple(hits)) if hits else FALSE
        if isinstance(node, And):
            values = [self.eval(item, allowed) for item in node.items]
            if not all(values):
                return FALSE
            return Value(min(v.raw for v in values), min(v.weighted for v in values),
                         tuple(h for v in values for h in v.hits))
        if isinstance(node, Or):
            values = [v for v in (self.eval(item, allowed) for item in node.items) if v]
            if not values:
                return FALSE
            hits = tuple(dict.fromkeys(h for v in values for h in v.hits))
            return Value(sum(v.raw for v in values), sum(v.weighted for v in values), hits)
        if isinstance(node, Not):
            return FALSE if self.eval(node.item, allowed) else Value(1, 1.0)
        if isinstance(node, AtLeast):
            value = self.eval(node.item, allowed)
            return value if value.raw >= node.count else FALSE
        if isinstance(node, Within):
            return self._within(node, allowed)
        if isinstance(node, Near):
            return self._near(node, allowed)
        if isinstance(node, Lead):
            return self._lead(node, allowed)
        raise TypeError(f"unknown expression node {node!r}")

    def _candidates(self, allowed: frozenset | None) -> list[Occurrence]:
        return [o for o in self.occurrences if allowed is None or o.id in allowed]

    def _within(self, node: Within, allowed) -> Value:
        units: dict[int, list[Occurrence]] = {}
        for occ in self._candidates(allowed):
            unit = occ.sentence if node.scope == "sentence" else occ.paragraph
            units.setdefault(unit, []).append(occ)
        raw, weighted, hits = 0, 0.0, []
        conjunction = And(node.items)
        for members in units.values():
            value = self.eval(conjunction, frozenset(o.id for o in members))
            if value:
                raw += 1
                weighted += members[0].boost
                hits.extend(value.hits)
        return Value(raw, weighted, tuple(dict.fromkeys(hits))) if raw else FALSE

    def _near(self, node: Near, allowed) -> Value:
        anchors = self.eval(node.items[0], allowed)
        if not anchors:
            return FALSE
        words, ordered = self._word_order()
        rest = And(node.items[1:]) if len(node.items) > 2 else node.items[1]
        raw, weighted, hits = 0, 0.0, []
        for anchor in anchors.hits:
            lo = bisect_left(words, anchor.word - node.words)
            hi = bisect_right(words, anchor.word + node.words)
            window = frozenset(o.id for o in ordered[lo:hi]
                               if o is not anchor and (allowed is None or o.id in allowed))
            value = self.eval(rest, window)
            if value:
                raw += 1
                weighted += anchor.boost
                hits.append(anchor)
                hits.extend(value.hits)
        return Value(raw, weighted, tuple(dict.fromkeys(hits))) if raw else FALSE

    def _lead(self, node: Lead, allowed) -> Value:
        """Once, when the operands all hold among the first ``words`` words (the title's, then the
        text's), counting the article body's hits only: a box of related headlines at the top of a
        page is not its lead."""
        lead = frozenset(o.id for o in self._candidates(allowed) if o.word < node.words and o.zone == "body")
        value = self.eval(And(node.items), lead)
        return Value(1, 1.0, value.hits) if value else FALSE

    def _word_order(self) -> tuple[list[int], list[Occurrence]]:
        if self._by_word is None:
            ordered = sorted(self.occurrences, key=lambda o: o.word)
            self._by_word = ([o.word for o in ordered], ordered)
        return self._by_word

    # -- explanations ----------------------------------------------------------------------
    def describe_hits(self, node) -> str:
        value = self.eval(node)
        return _forms(value.hits)

    def why_not(self, node) -> str:
        """Why ``node`` does not hold, in words."""
        if isinstance(node, (Group, Phrase)):
            return f"no {self._label(node)} terms found"
        if isinstance(node, And):
            return "; ".join(self.why_not(i) for i in node.items if not self.eval(i))
        if isinstance(node, Or):
            return "none of: " + "; ".join(self.why_not(i) for i in node.items)
        if isinstance(node, Not):
            return f"{self._label(node.item)} is present ({self.describe_hits(node.item)})"
        if isinstance(node, AtLeast):
            value = self.eval(node.item)
            if not value:
                return f"{self._label(node.item)}: none found, {node.count} needed"
            return (f"{self._label(node.item)} found {value.raw}× ({_forms(value.hits)}), "
                    f"{node.count} needed")
        if isinstance(node, (Within, Near, Lead)):
            missing = [i for i in node.items if not isinstance(i, Not) and not self.eval(i)]
            if missing:
                return "; ".join(self.why_not(i) for i in missing)
            present = ", ".join(f"{self._label(i)} ({_forms(self.eval(i).hits) or 'absent'})"
                                for i in node.items)
            where = (f"in the same {node.scope}" if isinstance(node, Within)
                     else f"together in the first {node.words} words" if isinstance(node, Lead)
                     else f"within {node.words} words of each other")
            return f"never {where}: {present}"
        return f"{render(node)} does not hold"

    def _label(self, node) -> str:
        if isinstance(node, Group):
            group = self.watch.groups.get(node.name)
            return f"'{node.name}'" if group is None or group.label == node.name else f"'{node.name}' ({group.label})"
        return render(node)


def _forms(hits, limit: int = 4) -> str:
    counts = Counter(h.form for h in hits)
    parts = [f"{form} ×{n}" if n > 1 else form for form, n in counts.most_common(limit)]
    if len(counts) > limit:
        parts.append("…")
    return ", ".join(parts)


def apply_exclusions(watch: Watch, occurrences: list[Occurrence]) -> tuple[list[Occurrence], list[str]]:
    """Drop hits whose context an exclusion names; return the kept hits and what was dropped."""
    if not watch.exclusions:
        return occurrences, []
    evaluator = Evaluator(watch, occurrences)
    cancelled: dict[int, tuple[str, str]] = {}
    by_sentence: dict[int, list[Occurrence]] = {}
    by_paragraph: dict[int, list[Occurrence]] = {}
    for occ in occurrences:
        by_sentence.setdefault(occ.sentence, []).append(occ)
        by_paragraph.setdefault(occ.paragraph, []).append(occ)
    for exclusion in watch.exclusions:
        targets = set()
        for name in exclusion.cancels or [g for g in watch.groups if not watch.groups[g].hidden]:
            targets |= watch.members(name)
        if not evaluator.eval(exclusion.context) and not _has_not(exclusion.context):
            continue  # its context appears nowhere in the document
        for occ in occurrences:
            if occ.id in cancelled or occ.group not in targets:
                continue
            if exclusion.scope == "sentence":
                around = by_sentence[occ.sentence]
            elif exclusion.scope == "paragraph":
                around = by_paragraph[occ.paragraph]
            elif exclusion.scope == "rest of paragraph":  # the context must come before the hit
                around = [o for o in by_paragraph[occ.paragraph] if o.start <= occ.start]
            else:
                words, ordered = evaluator._word_order()
                around = ordered[bisect_left(words, occ.word - exclusion.words):
                                 bisect_right(words, occ.word + exclusion.words)]
            # in file order: a hit an earlier exclusion cancelled is no context for a later one
            live = frozenset(o.id for o in around if o.id not in cancelled)
            context = evaluator.eval(exclusion.context, live - {occ.id})
            # where ``unless`` holds in the scope (the hit itself counted), nothing is cancelled;
            # checked only where the context holds, so a hit without it costs nothing more
            if context and not (exclusion.unless is not None and evaluator.eval(exclusion.unless, live)):
                cancelled[occ.id] = (exclusion.name, _forms(context.hits, 2))
    kept = [o for o in occurrences if o.id not in cancelled]
    notes = []
    by_exclusion: dict[str, tuple[list[Occurrence], Counter]] = {}
    for occ in occurrences:
        if occ.id in cancelled:
            name, context = cancelled[occ.id]
            occs, contexts = by_exclusion.setdefault(name, ([], Counter()))
            occs.append(occ)
            contexts[context] += 1
    for name, (occs, contexts) in by_exclusion.items():
        shown = "; ".join(c for c, _ in contexts.most_common(3))
        notes.append(f"exclusion '{name}' cancelled {len(occs)} hit(s): {_forms(occs)} (context: {shown})")
    return kept, notes


def _has_not(node) -> bool:
    if isinstance(node, Not):
        return True
    return any(_has_not(i) for i in getattr(node, "items", ())) or (
        isinstance(node, AtLeast) and _has_not(node.item))


def score(watch: Watch, occurrences: list[Occurrence], explain: bool = True) -> Outcome:
    """Score the hits of one watch. Without ``explain``, stop as soon as a required rule
    fails (the verdict is then known) and skip the reasons."""
    kept, cancelled_notes = apply_exclusions(watch, occurrences)
    evaluator = Evaluator(watch, kept)
    in_furniture = any(o.zone != "body" for o in kept)
    # shown in reasons: the hits that are evidence (Watch.shows), not exclusion contexts
    furniture = [o for o in kept if o.zone != "body" and watch.shows(o.group)]
    # required rules must hold on the article body; penalties count furniture hits fully
    body = Evaluator(watch, [o for o in kept if o.zone == "body"]) if in_furniture else evaluator
    full = (Evaluator(watch, [replace(o, boost=o.base_boost) for o in kept]) if in_furniture
            else evaluator)
    if not explain:
        for rule in watch.rules:
            if rule.required and not body.eval(rule.expr):
                return Outcome(False, 0.0, kept, [], [])
    total = 0.0
    rule_lines: list[str] = []
    failed_required: list[str] = []
    satisfied_required: list[str] = []
    for name, group in watch.groups.items():
        if group.weight == 0 or group.hidden:
            continue
        value = evaluator.eval(Group(name))
        if value:
            points = group.weight * min(value.weighted, group.cap)
            total += points
            rule_lines.append(f"group {_title(name, group.label)}: {value.raw} hit(s) "
                              f"({_forms(value.hits)}) {points:+.1f}")
    for rule in watch.rules:
        value = (full if rule.weight < 0 else evaluator).eval(rule.expr)
        if not value:
            if rule.required:
                failed_required.append(f"required rule '{rule.name}' not met: {evaluator.why_not(rule.expr)}")
            continue
        if rule.required and in_furniture and not body.eval(rule.expr):
            failed_required.append(f"required rule '{rule.name}' holds only with hits in the page's "
                                   f"{_roles(furniture)}, not in the article body")
        points = rule.weight * min(value.weighted, rule.cap)
        total += points
        if rule.required:
            satisfied_required.append(rule.name)
        if rule.weight == 0:
            continue
        times = f" ×{value.raw}" if value.raw > 1 else ""
        rule_lines.append(f"rule '{rule.name}'{times} ({_forms(value.hits)}) {points:+.1f}")
    total = round(total, 3)
    fired = not failed_required and total >= watch.threshold and bool(kept)
    reasons: list[str] = []
    if fired:
        reasons.append(f"score {total:g} ≥ threshold {watch.threshold:g}")
        if satisfied_required:
            reasons.append("required rules met: " + ", ".join(f"'{n}'" for n in satisfied_required))
        shown = [o for o in kept if watch.shows(o.group)]
        reasons.append("matched forms: " + _forms(shown, 12))
    else:
        if not occurrences:
            reasons.append("no terms of this watch found")
        elif not kept:
            reasons.append("every hit was cancelled by an exclusion")
        reasons.extend(failed_required)
        if total < watch.threshold:
            reasons.append(f"score {total:g} below threshold {watch.threshold:g}")
        elif failed_required:
            reasons.append(f"score {total:g} would reach threshold {watch.threshold:g}, "
                           "but required rules are not met")
    reasons.extend(cancelled_notes)
    if furniture:
        reasons.append(f"{len(furniture)} hit(s) in the page's {_roles(furniture)} counted "
                       f"×{FURNITURE_WEIGHT:g}: {_forms(furniture)}")
    return Outcome(fired, total, kept, rule_lines, reasons)


def _roles(occurrences: list[Occurrence]) -> str:
    roles = dict.fromkeys(_ROLE_WORDS.get(o.zone, o.zone) for o in occurrences)
    return ", ".join(roles)


def _title(name: str, label: str) -> str:
    return f"'{name}'" if label == name else f"'{name}' ({label})"
