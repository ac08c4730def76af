"""Sentences, paragraphs and word positions of a text.

Scoring only needs to know which hits share a sentence or paragraph and how many words apart
they are, so ``locate`` looks only at the text between consecutive hits. The full sentence
list (for snippets) is computed on demand.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from functools import cached_property

import numpy as np

from .normalize import Folded, code_points, from_code_points

# Sentence ends: . ! ? … and the Urdu/Arabic full stop and question mark, and the Devanagari
# danda, followed by spaces; Chinese 。！？ need no space after them.
_TERMINATOR = re.compile(r"[.!?\u2026\u06d4\u061f\u0964]+[\"'\u201d\u2019\u00bb)\]]*[ \t\u00a0]+"
                         r"|[\u3002\uff01\uff1f]+[\u201d\u300d\u300f\uff09]*\s*")
# Han text has no spaces: for distances in words a Han character counts as 0.625 of a word (a word
# of running Chinese text is 1.6 characters on average; 0.625 = 1/1.6 is exact in binary, so eight
# characters are five words, not 4.999...), and "within 12 words" spans about as much of a Chinese
# sentence as of an English one.
HAN_WORDS_PER_CHARACTER = 0.625
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_HAN = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _HAN_RANGES) + "]")
_ELIDED = (" s ", " l ", " d ")  # what is left of "'s", "l'", "d'" once the apostrophe is a space
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
_LINE_BREAK = re.compile(r"\n\s*")
_LAST_WORD = re.compile(r"(\w+)\W*$")
# Words ending in '.' that do not end a sentence (lower case, without the dot).
ABBREVIATIONS = frozenset("""
gen płk ppłk mjr kpt por ds dr prof mgr inż ul al św st nr tzw np in tys mln mld ok ws godz pkt
mr mrs ms lt col maj capt sgt adm brig sen rep gov jr sr no vs etc inc corp co ltd approx
ген г гг им т е см тыс млн млрд ул проф др пр
bzw ca usw vgl nr
mme gén ste
""".split())


class Segments:
    """Maps character offsets to sentence, paragraph and word numbers."""

    def __init__(self, text: str, folded: Folded, body_start: int = 0):
        self.text = text
        self.folded = folded
        self.body_start = body_start  # where the text starts after the title and its break

    def locate(self, offsets: list[int]) -> tuple[list[int], list[int], list[int]]:
        """Sentence, paragraph and word numbers of sorted character offsets (word starts).

        Numbers are consistent within this text (equal means same unit), though sentence and
        paragraph numbers count only the breaks found between the given offsets.
        """
        sentences, paragraphs, words = [], [], []
        sentence = paragraph = word = 0
        padded = self.folded.padded
        count = self._count_words
        previous = None
        for offset in offsets:
            index = self._padded_index(offset)
            if previous is None:
                word = count(padded, 0, index)
            elif offset > previous[0]:
                if self._paragraph_break.search(self.text, previous[0], offset):
                    paragraph += 1
                    sentence += 1
                elif self._sentence_break(previous[0], offset):
                    sentence += 1
                word += count(padded, previous[1], index)
            sentences.append(sentence)
            paragraphs.append(paragraph)
            words.append(word)
            previous = (offset, index)
        return sentences, paragraphs, words

    @cached_property
    def _count_words(self):
        if _HAN.search(self.text) is None:
            # an apostrophe breaks words when folded: "Russia's" is "russia s", "l'armée" is
            # "l armee"; the possessive and the elided article are no words of their own
            return lambda padded, a, b: len(padded[a:b].split()) - sum(padded.count(e, a, b) for e in _ELIDED)
        # a run of Han characters is one "word" between spaces: count its characters instead (and
        # the words of other scripts written among them: digits, Latin names)
        mask = han_mask(self.folded.padded)
        return lambda padded, a, b: (len(mask[a:b].replace("\x01", " ").split())
                                     + mask.count("\x01", a, b) * HAN_WORDS_PER_CHARACTER)

    def _padded_index(self, offset: int) -> int:
        offsets = self.folded.offsets
        return offset + 1 if offsets is None else bisect_left(offsets, offset) + 1

    def _sentence_break(self, start: int, end: int) -> bool:
        if self.text.find("\n", start, end) >= 0:
            return True
        return any(self._ends_sentence(m) for m in _TERMINATOR.finditer(self.text, start, end))

    @cached_property
    def _paragraph_break(self) -> re.Pattern:
        # Blank lines separate paragraphs when the text has them beyond the title; otherwise
        # every line break does (extracted article text often has one paragraph per line).
        return _BLANK_LINE if _BLANK_LINE.search(self.text, self.body_start) else _LINE_BREAK

    @cached_property
    def paragraph_starts(self) -> list[int]:
        return [0] + [m.end() for m in self._paragraph_break.finditer(self.text)]

    @cached_property
    def sentence_starts(self) -> list[int]:
        starts = set(self.paragraph_starts)
        starts.update(m.end() for m in _LINE_BREAK.finditer(self.text))
        for m in _TERMINATOR.finditer(self.text):
            if self._ends_sentence(m):
                starts.add(m.end())
        return sorted(starts)

    def _ends_sentence(self, m: re.Match) -> bool:
        following = self.text[m.end(): m.end() + 1]
        if not following or (following.isalpha() and following.islower()):
            return False
        if self.text[m.start()] == ".":
            last = _LAST_WORD.search(self.text, max(0, m.start() - 20), m.start() + 1)
            if last:
                word = last.group(1)
                if word.lower() in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                    return False
        return True

    def sentence_span(self, index: int) -> tuple[int, int]:
        starts = self.sentence_starts
        end = starts[index + 1] if index + 1 < len(starts) else len(self.text)
        return starts[index], end


def han_mask(text: str) -> str:
    """``text`` with each Han character replaced by \x01 (folded text never holds \x01), so a
    slice's Han count is one str.count. On an array of code points: a translate table would look
    each character up in Python (0.2 ms for a 5 KB Chinese article)."""
    codes = code_points(text)
    han = np.zeros(len(codes), dtype=bool)
    for low, high in _HAN_RANGES:
        han |= (codes >= low) & (codes <= high)
    return from_code_points(np.where(han, 1, codes))
