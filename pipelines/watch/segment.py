"""Sentences, paragraphs and word positions of a text, computed only when a rule asks."""
from __future__ import annotations

import re
from bisect import bisect_right
from functools import cached_property

from .normalize import Folded

_TERMINATOR = re.compile(r"[.!?\u2026\u06d4\u061f]+[\"'\u201d\u2019\u00bb)\]]*[ \t\u00a0]+")
_WORD_START = re.compile(r"(?<= )[^ ]")
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

    def __init__(self, text: str, folded: Folded):
        self.text = text
        self.folded = folded

    @cached_property
    def paragraph_starts(self) -> list[int]:
        # Blank lines separate paragraphs when the text has them; otherwise every line break
        # does (extracted article text often has one paragraph per line).
        separator = r"\n[ \t]*\n\s*" if re.search(r"\n[ \t]*\n", self.text) else r"\n\s*"
        return [0] + [m.end() for m in re.finditer(separator, self.text)]

    @cached_property
    def sentence_starts(self) -> list[int]:
        starts = set(self.paragraph_starts)
        starts.update(m.end() for m in re.finditer(r"\n\s*", self.text))
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

    @cached_property
    def word_starts(self) -> list[int]:
        return [self.folded.original_offset(m.start()) for m in _WORD_START.finditer(self.folded.padded)]

    def sentence(self, offset: int) -> int:
        return bisect_right(self.sentence_starts, offset) - 1

    def paragraph(self, offset: int) -> int:
        return bisect_right(self.paragraph_starts, offset) - 1

    def word(self, offset: int) -> int:
        return bisect_right(self.word_starts, offset) - 1

    def sentence_span(self, index: int) -> tuple[int, int]:
        starts = self.sentence_starts
        end = starts[index + 1] if index + 1 < len(starts) else len(self.text)
        return starts[index], end
