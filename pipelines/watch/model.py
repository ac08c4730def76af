"""The data the watch filter takes and gives: documents, watches, hits and match results."""
from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .expr import phrase_group, phrases_in
from .terms import TermSpec


class WatchError(Exception):
    """A watch file that cannot be used: says which file, which line and what is wrong."""

    def __init__(self, path: str | Path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


FURNITURE_ROLES = ("related", "navigation", "caption", "boilerplate")


@dataclass(frozen=True)
class Zone:
    """A span of ``Document.text`` that is page furniture, not article body: a "related" or
    "most read" box, navigation, a caption (``pipelines.page_structure`` finds them)."""

    start: int
    end: int
    role: str  # one of FURNITURE_ROLES


@dataclass
class Document:
    """An article to match. Title and text are NFC-normalised on construction, so hit offsets
    refer to ``doc.title`` / ``doc.text`` as stored here. ``language`` (ISO 639-1, e.g. "pl"),
    when known, narrows the word endings accepted for inflected terms. ``zones`` are the spans
    of the text that are page furniture (sidebars, related links, navigation, captions): hits
    there count less, and cannot on their own satisfy a required rule."""

    title: str
    text: str
    language: str | None = None
    zones: tuple = ()

    def __post_init__(self):
        title, text = self.title or "", self.text or ""
        self.title = unicodedata.normalize("NFC", title)
        self.text = unicodedata.normalize("NFC", text)
        self.language = (self.language or "").split("-")[0].lower() or None
        # zones are offsets in the text as given; NFC rarely changes its length, and when it
        # does they no longer line up: then they are dropped rather than misplaced
        self.zones = tuple(self.zones or ()) if len(self.text) == len(text) else ()


@dataclass(frozen=True)
class Hit:
    term: str     # the term as written in the watch file
    group: str    # the group that lists it
    form: str     # the exact text found in the document ("Patruszewem")
    start: int    # character offsets in the field
    end: int
    field: str    # "title" or "text"
    zone: str = "body"  # "body", or the furniture role of the text around it (see Zone)


@dataclass
class MatchResult:
    watch: str
    fired: bool
    score: float
    threshold: float
    hits: list[Hit] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)      # rules and groups that contributed
    reasons: list[str] = field(default_factory=list)    # why it fired, or why not
    snippet: str = ""
    snippet_spans: list[tuple[int, int]] = field(default_factory=list)
    watch_title: str = ""  # the watch's human title, for alerts ("" when the result did not fire)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["snippet_spans"] = [list(span) for span in self.snippet_spans]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "MatchResult":
        return cls(
            watch=data["watch"],
            fired=bool(data["fired"]),
            score=float(data["score"]),
            threshold=float(data["threshold"]),
            hits=[Hit(**hit) for hit in data.get("hits", [])],
            rules=list(data.get("rules", [])),
            reasons=list(data.get("reasons", [])),
            snippet=data.get("snippet", ""),
            snippet_spans=[tuple(span) for span in data.get("snippet_spans", [])],
            watch_title=str(data.get("watch_title") or ""),
        )


@dataclass(frozen=True)
class TermGroup:
    name: str
    label: str
    terms: tuple[TermSpec, ...]
    include: tuple[str, ...] = ()   # other groups whose hits count as this group's
    weight: float = 0.0              # score per hit
    cap: float = 5.0                 # at most this many hits are scored
    hidden: bool = False             # made by the loader (inline phrase, exclusion context)


@dataclass(frozen=True)
class Rule:
    name: str
    expr: object                     # parsed expression (expr.py)
    expr_text: str
    weight: float = 1.0              # score per occurrence
    cap: float = 1.0                 # at most this many occurrences are scored
    required: bool = False           # the watch cannot fire without it


@dataclass(frozen=True)
class Exclusion:
    name: str
    context: object                  # parsed expression; its presence cancels the hits
    context_text: str
    cancels: tuple[str, ...]         # groups whose hits are cancelled (empty: every group)
    scope: str                       # "sentence", "paragraph", "rest of paragraph" or "words"
    words: int = 0                   # for scope "words": distance in words
    unless: object = None            # parsed expression: where it holds (hit included), no cancelling
    unless_text: str = ""


@dataclass
class Watch:
    name: str
    title: str
    threshold: float
    title_boost: float
    groups: dict[str, TermGroup]
    rules: list[Rule]
    exclusions: list[Exclusion]
    description: str = ""
    path: str = "<string>"
    _members: dict = field(default_factory=dict, repr=False, compare=False)
    # not an __init__ field, so dataclasses.replace(watch, rules=...) computes it afresh
    _rule_phrases: frozenset | None = field(default=None, init=False, repr=False, compare=False)

    def shows(self, group: str) -> bool:
        """Whether the group's hits are evidence to show (in a result's hits, its reasons, an
        alert): the groups the watch file lists and the inline phrases its rules name; not the
        hidden groups made for an exclusion's context or proviso ("secretary" beside a Security
        Council decides the exclusion and is no evidence)."""
        if self._rule_phrases is None:
            self._rule_phrases = frozenset(phrase_group(text) for rule in self.rules for text in phrases_in(rule.expr))
        return not self.groups[group].hidden or group in self._rule_phrases

    def members(self, group: str) -> frozenset[str]:
        """The group and every group it includes, recursively."""
        cached = self._members.get(group)
        if cached is not None:
            return cached
        seen: set[str] = set()
        stack = [group]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            stack.extend(self.groups[name].include)
        self._members[group] = frozenset(seen)
        return self._members[group]
