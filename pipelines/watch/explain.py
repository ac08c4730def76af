"""Human-facing output: the snippet around the densest hits, and a text explanation."""
from __future__ import annotations

from collections import defaultdict

from .model import MatchResult
from .segment import Segments

SNIPPET_CHARS = 300


def make_snippet(text: str, segments: Segments, spans: list[tuple[int, int, str]],
                 offset: int = 0, limit: int = SNIPPET_CHARS) -> tuple[str, list[tuple[int, int]]]:
    """The run of whole sentences (≤ ``limit`` chars) holding the most hits, and the hit offsets
    inside it. ``spans`` are (start, end, group) in the combined string; ``offset`` is where
    ``text`` starts in it. One over-long sentence is cut around its hits, with ellipses."""
    if not text.strip():
        return "", []
    local = sorted((s - offset, e - offset, g) for s, e, g in spans if offset <= s and e - offset <= len(text))
    sentences = [(a - offset, b - offset) for a, b in
                 (segments.sentence_span(i) for i in range(len(segments.sentence_starts)))
                 if b > offset and a - offset < len(text)]
    sentences = [(max(a, 0), min(b, len(text))) for a, b in sentences]
    if not local:
        start, end = sentences[0] if sentences else (0, len(text))
        return _cut(text, start, min(end, start + limit), [])
    # score each sentence: hits, plus a bonus for distinct groups (co-occurrence is the signal)
    per_sentence = []
    for a, b in sentences:
        inside = [g for s, e, g in local if a <= s and e <= b]
        per_sentence.append(len(inside) + 2 * len(set(inside)))
    best, best_score = (0, 0), -1
    for i in range(len(sentences)):
        total, j = 0, i
        while j < len(sentences) and sentences[j][1] - sentences[i][0] <= limit:
            total += per_sentence[j]
            j += 1
        if j == i:  # the sentence alone is too long
            total, j = per_sentence[i], i + 1
        if total > best_score:
            best, best_score = (i, j), total
    first, last = best[0], best[1] - 1
    while first < last and per_sentence[first] == 0:  # no empty sentences at the edges
        first += 1
    while last > first and per_sentence[last] == 0:
        last -= 1
    start, end = sentences[first][0], sentences[last][1]
    if end - start > limit:
        inside = [(s, e) for s, e, _ in local if start <= s and e <= end]
        centre = (inside[0][0] + inside[-1][1]) // 2 if inside else start
        start = max(start, min(centre - limit // 2, end - limit))
        end = min(end, start + limit)
    return _cut(text, start, end, [(s, e) for s, e, _ in local])


def _cut(text: str, start: int, end: int, spans: list[tuple[int, int]]):
    # move the edges to word boundaries, and mark cuts inside a sentence with an ellipsis
    if start > 0 and text[start - 1].isalnum():
        while start < end and text[start].isalnum():
            start += 1
    if end < len(text) and text[end].isalnum():
        while end > start and text[end - 1].isalnum():
            end -= 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    body = text[start:end].replace("\n", " ")
    prefix = "…" if start > 0 and not _sentence_edge(text, start) else ""
    suffix = "…" if end < len(text) and text[end - 1] not in ".!?…۔؟\"”»)" else ""
    shift = len(prefix) - start
    inner: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if start <= s and e <= end:
            if inner and s + shift < inner[-1][1]:  # overlapping hits highlight as one span
                inner[-1] = (inner[-1][0], max(inner[-1][1], e + shift))
            else:
                inner.append((s + shift, e + shift))
    return prefix + body + suffix, inner


def _sentence_edge(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?…۔؟\n\"”»)"


def format_explanation(result: MatchResult) -> str:
    """A plain-text explanation of one result, for logs, e-mail and the CLI."""
    verdict = "FIRED" if result.fired else "did not fire"
    lines = [f"Watch '{result.watch}' {verdict}: score {result.score:g} (threshold {result.threshold:g})"]
    if result.reasons:
        lines.append("Why:")
        lines.extend(f"  - {reason}" for reason in result.reasons)
    if result.rules:
        lines.append("Contributions:")
        lines.extend(f"  - {rule}" for rule in result.rules)
    if result.hits:
        lines.append("Terms found (as written in the article, with character offsets; t = in the title):")
        by_group: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for hit in sorted(result.hits, key=lambda h: (h.field != "title", h.start)):
            by_group[hit.group][hit.form].append(f"t{hit.start}" if hit.field == "title" else str(hit.start))
        for group, forms in by_group.items():
            ranked = sorted(forms.items(), key=lambda item: -len(item[1]))
            shown = ", ".join(f"{form} @{','.join(at)}" for form, at in ranked)
            lines.append(f"  {group}: {shown}")
    if result.snippet:
        marked, last = [], 0
        for start, end in result.snippet_spans:
            marked.append(result.snippet[last:start] + "[" + result.snippet[start:end] + "]")
            last = end
        marked.append(result.snippet[last:])
        lines.append("Snippet: " + "".join(marked))
    return "\n".join(lines)
