"""Fold text for matching: lower case, no diacritics, script letter variants unified.

Scripts: Latin, Cyrillic (Russian, Ukrainian), Arabic (Urdu, Farsi, Arabic), Devanagari (Hindi:
vowel signs are part of the word, the nukta is dropped so *क़* is *क*, candrabindu is anusvara)
and Han (traditional characters folded to simplified, character by character; Han text has
no word breaks, the matcher finds Han terms as substrings).

The folding is one character to one character (a ``str.translate`` table), so offsets in the
folded text are offsets in the original; only the rare ignorable characters (combining marks,
Arabic harakat, tatweel, soft hyphens, bidi marks) are deleted, and German ß becomes "ss" (the
spelling before 1996 and Switzerland's: *Rußland* is *Russland*, *Fussball* is *Fußball*), and
then an offset map is kept.
Every non-word character becomes a space, so in folded text a word boundary is simply ' '.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .han_variants import SIMPLIFIED, TRADITIONAL

_DELETED = "\x00"          # marks characters dropped by folding (input NULs become spaces)
_SHARP_S = "ß"             # the one letter that folds to two (capital ẞ folds to it first)
_TABLE_SIZE = 0x10000       # the BMP; characters above it are left as they are

# Letters that NFKD does not reduce, or that must be unified across spellings.
_SPECIAL = {
    "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ı": "i", "İ": "i",
    "ё": "е", "Ё": "е",  # Russian ё is usually printed as е
    # Arabic-script variants: Arabic yeh/alef maksura -> Farsi/Urdu yeh, Arabic kaf -> keheh,
    # the various heh forms -> heh goal (Urdu keyboards and Arabic keyboards disagree).
    "\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9",
    "\u0647": "\u06c1", "\u06be": "\u06c1", "\u06d5": "\u06c1", "\u0629": "\u06c1",
    "\u06c3": "\u06c1", "\u06c2": "\u06c1",
    "\u200c": " ",  # zero-width non-joiner separates the parts of an Urdu compound
    "\u0901": "\u0902",  # Devanagari candrabindu -> anusvara (spelling variants)
}
# Devanagari letters with a nukta (क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़) -> the plain letter; the nukta alone is dropped.
_SPECIAL.update({chr(0x0958 + i): base for i, base in enumerate("कखगजडढफय")})
_SPECIAL["\u093c"] = "\x00"
_SPECIAL.update(zip(TRADITIONAL, SIMPLIFIED))
# Arabic-Indic and extended (Urdu) digits -> ASCII digits.
_SPECIAL.update({chr(0x0660 + i): str(i) for i in range(10)})
_SPECIAL.update({chr(0x06F0 + i): str(i) for i in range(10)})


def _fold_char(ch: str) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    category = unicodedata.category(ch)
    if "\u0900" <= ch <= "\u097f" and category in ("Mn", "Mc"):
        return ch  # Devanagari vowel signs, virama, anusvara: part of the word
    if category in ("Mn", "Me", "Cf") or ch == "\u0640":  # marks, format chars, tatweel
        return _DELETED
    low = ch.lower()[:1] or ch
    if low in _SPECIAL:
        return _SPECIAL[low]
    if not low.isalnum():
        return " "
    if "CYRILLIC" in unicodedata.name(low, ""):
        return low  # keep й, ї etc.: for Cyrillic only ё is folded (above)
    base = "".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))
    base = _SPECIAL.get(base, base)
    if len(base) == 1 and base.isalnum():
        return base
    return low  # ligatures and the like stay as they are (still one character)


def _build_table() -> str:
    chars = [_fold_char(chr(i)) for i in range(_TABLE_SIZE)]
    chars[0] = " "
    return "".join(chars)


_TABLE = _build_table()


@dataclass(frozen=True)
class Folded:
    """Folded text padded with one space on each side (so every word sits between spaces).

    ``original_offset(i)`` maps an index in ``padded`` back to the original text.
    """

    padded: str
    offsets: list[int] | None  # original index of each folded char, when characters were dropped
    original_length: int

    def original_offset(self, padded_index: int) -> int:
        i = padded_index - 1
        if self.offsets is None:
            return min(max(i, 0), self.original_length)
        if i >= len(self.offsets):
            return self.original_length
        return self.offsets[max(i, 0)]

    def original_end(self, padded_end: int) -> int:
        """Map an exclusive end index back to the original text."""
        if padded_end - 1 <= 0:
            return 0
        return self.original_offset(padded_end - 1) + 1


def fold(text: str) -> Folded:
    """Fold ``text`` for matching (see module doc)."""
    folded = text.translate(_TABLE)
    offsets = None
    if _DELETED in folded or _SHARP_S in folded:
        # both letters of an "ss" point at their ß, so a word's start and end map back to it
        offsets = [i for i, c in enumerate(folded) if c != _DELETED for _ in range(1 + (c == _SHARP_S))]
        folded = folded.replace(_DELETED, "").replace(_SHARP_S, "ss")
    return Folded(" " + folded + " ", offsets, len(text))


def fold_words(text: str) -> list[str]:
    """The folded words of a short text (a term or alias)."""
    return fold(text).padded.split()


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def script_of(word: str) -> str:
    """'latin', 'cyrillic', 'arabic', 'devanagari', 'han' or 'other', by the word's last letter."""
    for ch in reversed(word):
        if ch.isalpha():
            if "a" <= ch <= "z" or "\u00c0" <= ch <= "\u024f":
                return "latin"
            if "\u0400" <= ch <= "\u04ff":
                return "cyrillic"
            if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f":
                return "arabic"
            if "\u0900" <= ch <= "\u097f":
                return "devanagari"
            if is_han(ch):
                return "han"
            return "other"
    return "other"


def words_with_originals(text: str) -> list[tuple[str, str]]:
    """Each folded word of ``text`` with the original characters it came from."""
    folded = fold(text)
    pairs = []
    start = None
    padded = folded.padded
    for i, ch in enumerate(padded):
        if ch != " " and start is None:
            start = i
        elif ch == " " and start is not None:
            a, b = folded.original_offset(start), folded.original_end(i)
            pairs.append((padded[start:i], text[a:b]))
            start = None
    return pairs
