"""One Aho-Corasick pass finds every term of every watch in a document.

Keys are folded stems preceded by a space (folded text has a space at every word boundary), so
a key can only match at the start of a word; the rest of the word must then be an allowed
ending. Exact words also end with a space, so they match whole words only. Only the *anchor*
word of a phrase is in the automaton; the other words are checked beside it in the text. The
work per document is one scan plus a little per candidate, whatever the number of terms.

A compound head (*hubschrauber) or infix (*abwehr*) is a key without the space, so it matches
inside a word; the hit is the whole word (Kampfhubschraubern), and a head must end it but for an
allowed ending. Han (Chinese) text has no spaces between words, so a Han term's key is its bare folded
characters and matches anywhere in a run of Han text (a dictionary substring match, which is
what a word segmenter would feed the same dictionary, minus its segmentation errors). Arabic
terms also get keys with the clitics Arabic writes together with a word (و، ب، ل، ال...).

Urdu often leaves out the space after a letter that does not join the next one (ا د ڈ ذ ر ڑ ز ژ و
ے): the gap shows on the page anyway, so "اورروس" reads as "اور روس" (and Russia), "وزیردفاع"
as "وزیر دفاع", "نےپاکستان" as "نے پاکستان". In an Urdu document an Arabic-script term may
therefore also start right after such a letter inside a written word (a second, small automaton
whose keys are that letter and the stem), and may be followed by a postposition written on
(``inflect.URDU_WRITTEN_ON``: "ماسکونے").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain

import ahocorasick

from .inflect import ARABIC_PREFIXES, URDU_NON_JOINING, endings_for
from .normalize import Folded
from .terms import TermSpec, WordSpec

# What may separate the words of a phrase in the original text: spaces, hyphens and dashes,
# dots of abbreviations (gen., ds.), apostrophes, slashes. Not commas, colons or line breaks.
_PHRASE_GAP = re.compile(r"[ \t\u00a0\u202f\-\u2010-\u2015.'\u2019/\u200c]{1,5}")
_HYPHENS = "-\u2010\u2011\u2012\u2013\u2014"


@dataclass(frozen=True)
class TermHit:
    term: int        # index into TermIndex.terms
    start: int       # offsets in the original text
    end: int


class TermIndex:
    """The automaton over a list of distinct terms."""

    def __init__(self, terms: list[TermSpec]):
        self.terms = terms
        entries: dict[str, list] = {}
        glued: dict[str, list] = {}  # Urdu: a term written on after a non-joining letter
        for index, term in enumerate(terms):
            word = term.words[term.anchor]
            closed = word.mode == "exact"
            # a "simple" term is one word with no extra checks: the common, fast case
            simple = (len(term.words) == 1 and not word.case_sensitive
                      and not term.hyphen_before and not term.hyphen_after)
            if word.script == "han" or word.mode in ("head", "infix"):
                # inside a word; the ref's "length" is negative: no word boundary before
                mode = "han" if word.script == "han" else word.mode
                for stem in word.stems:
                    entries.setdefault(stem.text, []).append(
                        (index, -len(stem.text), stem.bare_ok, mode, word.script, simple))
                continue
            prefixes = ("",) + (ARABIC_PREFIXES if word.script == "arabic" else ())
            for stem in word.stems:
                for prefix in prefixes:
                    key = " " + prefix + stem.text + (" " if closed else "")
                    entries.setdefault(key, []).append(
                        (index, len(prefix) + len(stem.text), stem.bare_ok, word.mode, word.script,
                         simple and not prefix))
                # the key's first character stands where a space would: the same offsets hold. A
                # phrase only when the anchor is its first word (_extend looks for words before it
                # at a space).
                if word.script == "arabic" and term.anchor == 0:
                    for letter in URDU_NON_JOINING:
                        key = letter + stem.text + (" " if closed else "")
                        glued.setdefault(key, []).append(
                            (index, len(stem.text), stem.bare_ok, word.mode, word.script, simple))
        # terms written for some languages only (اطلاعاتی@fa): the other languages' documents skip them
        self._scoped = [(index, term.languages) for index, term in enumerate(terms) if term.languages]
        self._skipped: dict[str | None, frozenset[int]] = {}
        self._empty = not entries
        self._automaton = _build(entries)
        self._glued = _build(glued) if glued else None
        self._endings_cache: dict[str | None, dict[str, frozenset[str]]] = {}

    def _endings(self, language: str | None) -> dict[str, frozenset[str]]:
        cached = self._endings_cache.get(language)
        if cached is None:
            cached = {s: endings_for(s, language) for s in ("latin", "cyrillic", "arabic", "devanagari", "han", "other")}
            self._endings_cache[language] = cached
        return cached

    def scan(self, folded: Folded, original: str, language: str | None = None) -> list[TermHit]:
        """Every term occurrence in ``original`` (whose folding is ``folded``)."""
        if self._empty:
            return []
        padded = folded.padded
        endings = self._endings(language)
        found: dict[tuple[int, int], TermHit] = {}
        terms = self.terms
        one_to_one = folded.offsets is None
        matches = self._automaton.iter(padded)
        if language == "ur" and self._glued is not None:
            matches = chain(matches, self._glued.iter(padded))
        for last, (key_length, refs) in matches:
            word_start = last - key_length + 2
            for term_index, stem_length, bare_ok, mode, script, simple in refs:
                if stem_length < 0:  # inside a word: Han substring, compound head or infix
                    if mode == "han":
                        start = folded.original_offset(last + stem_length + 1)
                        end = folded.original_end(last + 1)
                    else:
                        span = _inside_word(padded, last + stem_length + 1, last + 1, mode, bare_ok,
                                            endings[script])
                        if span is None:
                            continue
                        start, end = folded.original_offset(span[0]), folded.original_end(span[1])
                    key = (term_index, start)
                    if key not in found or found[key].end < end:
                        found[key] = TermHit(term_index, start, end)
                    continue
                # inline check of the word's ending (the hot loop: keep it flat)
                stem_end = word_start + stem_length
                word_end = padded.find(" ", stem_end)
                if word_end == stem_end:
                    if not bare_ok and mode == "inflect":
                        continue
                elif mode == "inflect":
                    if padded[stem_end:word_end] not in endings[script]:
                        continue
                elif mode == "numeric":
                    suffix = padded[stem_end:word_end]
                    if len(suffix) > 2 or not suffix.isalpha():
                        continue
                elif mode != "prefix":
                    continue
                if simple:
                    if one_to_one:
                        start, end = word_start - 1, word_end - 1
                    else:
                        start, end = folded.original_offset(word_start), folded.original_end(word_end)
                else:
                    term = terms[term_index]
                    span = self._extend(term, padded, word_start, word_end, endings)
                    if span is None:
                        continue
                    start, end = folded.original_offset(span[0]), folded.original_end(span[1])
                    if not _context_ok(term, original, start, end, folded, span):
                        continue
                key = (term_index, start)
                previous = found.get(key)
                if previous is None or previous.end < end:
                    found[key] = TermHit(term_index, start, end)
        skipped = self._skipped_for(language)
        hits = found.values() if not skipped else [h for h in found.values() if h.term not in skipped]
        return sorted(hits, key=lambda h: (h.start, -h.end))

    def _skipped_for(self, language: str | None) -> frozenset[int]:
        """The terms scoped to other languages than the document's (none when it is unknown)."""
        skipped = self._skipped.get(language)
        if skipped is None:
            skipped = frozenset(index for index, languages in self._scoped
                                if language is not None and language not in languages)
            self._skipped[language] = skipped
        return skipped

    def _extend(self, term: TermSpec, padded: str, start: int, end: int, endings):
        """Match the phrase words before and after the anchor; the phrase's padded span or None."""
        for word in term.words[term.anchor + 1:]:
            gap_end = end
            while gap_end < len(padded) and padded[gap_end] == " " and gap_end < end + 6:
                gap_end += 1
            if gap_end >= len(padded) or gap_end == end or padded[gap_end] == " ":
                return None
            word_end = _match_at(padded, gap_end, word, endings)
            if word_end < 0:
                return None
            end = word_end
        for word in reversed(term.words[: term.anchor]):
            token_end = start - 1
            while token_end > 0 and padded[token_end - 1] == " " and token_end > start - 6:
                token_end -= 1
            if token_end <= 1 or padded[token_end - 1] == " ":
                return None
            token_start = padded.rfind(" ", 0, token_end) + 1
            if _match_at(padded, token_start, word, endings) != token_end:
                return None
            start = token_start
        return start, end


def _build(entries: dict[str, list]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for key, refs in entries.items():
        automaton.add_word(key, (len(key), tuple(refs)))
    if entries:
        automaton.make_automaton()
    return automaton


def _inside_word(padded: str, key_start: int, key_end: int, mode: str, bare_ok: bool, endings):
    """The padded span of the word holding a compound head or infix found at key_start..key_end,
    or None when a head is followed by more than an allowed ending."""
    word_end = padded.find(" ", key_end)
    if mode == "head":
        rest = padded[key_end:word_end]
        if (rest and rest not in endings) or (not rest and not bare_ok):
            return None
    return padded.rfind(" ", 0, key_start) + 1, word_end


def _word_end(padded: str, word: WordSpec, start: int, stem_length: int, bare_ok: bool, endings) -> int:
    """End of the document word at ``start`` if it is the stem plus an allowed ending, else -1."""
    stem_end = start + stem_length
    end = padded.find(" ", stem_end)
    if end == stem_end:
        return end if bare_ok or word.mode != "inflect" else -1
    mode = word.mode
    if mode == "prefix":
        return end
    if mode == "inflect":
        return end if padded[stem_end:end] in endings[word.script] else -1
    if mode == "numeric":
        suffix = padded[stem_end:end]
        return end if len(suffix) <= 2 and suffix.isalpha() else -1
    return -1


def _match_at(padded: str, start: int, word: WordSpec, endings) -> int:
    for stem in word.stems:
        if padded.startswith(stem.text, start):
            end = _word_end(padded, word, start, len(stem.text), stem.bare_ok, endings)
            if end >= 0:
                return end
    return -1


def _context_ok(term: TermSpec, original: str, start: int, end: int, folded: Folded, span) -> bool:
    """Checks on the original text: phrase gaps, hyphen-only parts, acronym case."""
    if len(term.words) > 1 or any(w.case_sensitive for w in term.words):
        pieces = _original_words(folded, original, span)
        if len(pieces) != len(term.words):
            return False
        for (a_start, a_end), (b_start, _b_end) in zip(pieces, pieces[1:]):
            if not _PHRASE_GAP.fullmatch(original[a_end:b_start]):
                return False
        for word, (w_start, w_end) in zip(term.words, pieces):
            if word.case_sensitive:
                form = original[w_start:w_end]
                if form.upper() != form:
                    return False
    if term.hyphen_after and not (end < len(original) - 1 and original[end] in _HYPHENS
                                  and original[end + 1].isalpha()):
        return False
    if term.hyphen_before and not (start > 1 and original[start - 1] in _HYPHENS
                                   and original[start - 2].isalpha()):
        return False
    return True


def _original_words(folded: Folded, original: str, span) -> list[tuple[int, int]]:
    words = []
    padded = folded.padded
    i = span[0]
    while i < span[1]:
        j = padded.find(" ", i)
        if j < 0 or j > span[1]:
            j = span[1]
        words.append((folded.original_offset(i), folded.original_end(j)))
        i = j
        while i < span[1] and padded[i] == " ":
            i += 1
    return words
