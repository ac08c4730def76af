"""Fold text for matching: lower case, no diacritics, script letter variants unified.

Scripts: Latin, Cyrillic (Russian, Ukrainian), Arabic (Urdu, Farsi, Arabic), Devanagari (Hindi:
vowel signs are part of the word, the nukta is dropped so *क़* is *क*, candrabindu is anusvara,
long *ī* and *ū* are short (*रूस* is *रुस*), and a nasal with a virama before a consonant of its
class is the anusvara, so *सम्बन्ध* is *संबंध*) and Han (traditional characters folded to
simplified, character by character; Han text has no word breaks, the matcher finds Han terms as
substrings).

The folding is one character to one character (a ``str.translate`` table), so offsets in the
folded text are offsets in the original; only the rare ignorable characters (combining marks,
Arabic harakat, tatweel, soft hyphens, bidi marks) are deleted, and German ß becomes "ss" (the
spelling before 1996 and Switzerland's: *Rußland* is *Russland*, *Fussball* is *Fußball*), and
then an offset map is kept.
An apostrophe between two Cyrillic letters is one: Ukrainian writes it inside a word
(*перемир'я*, *об'єднаних*), so there it folds to ʼ, a letter; elsewhere it breaks words as any
other punctuation does (*Pakistan's* is *pakistan s*).
Every non-word character becomes a space, so in folded text a word boundary is simply ' '.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from .han_variants import SIMPLIFIED, TRADITIONAL

_DELETED = "\x00"          # marks characters dropped by folding (input NULs become spaces)
_SHARP_S = "ß"             # the one letter that folds to two (capital ẞ folds to it first)
_TABLE_SIZE = 0x10000       # the BMP; characters above it are left as they are
_APOSTROPHE = "\x01"        # what ', ’ and ʼ fold to first; a space, or ʼ inside a Cyrillic word
# the literal first, then the look-behind: the regular expression engine skips to each apostrophe
_APOSTROPHE_IN_CYRILLIC = re.compile("\x01(?<=[\u0400-\u04ff]\x01)(?=[\u0400-\u04ff])")

# Hindi writes a nasal before a consonant of its own class either as the anusvara or as the nasal
# letter with a virama: संबंध and सम्बन्ध (relations), हिंदुस्तान and हिन्दुस्तान, मंत्री and मन्त्री.
# The cluster folds to the anusvara (two characters to one, so the virama's place is deleted).
_VIRAMA, _ANUSVARA = "\u094d", "\u0902"
_NASAL_CLUSTER = re.compile("(?:\u0919\u094d(?=[\u0915-\u0918])|\u091e\u094d(?=[\u091a-\u091d])"
                            "|\u0923\u094d(?=[\u091f-\u0922])|\u0928\u094d(?=[\u0924-\u0927])"
                            "|\u092e\u094d(?=[\u092a-\u092d]))")

# Letters that NFKD does not reduce, or that must be unified across spellings.
_SPECIAL = {
    "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ı": "i", "İ": "i",
    "ё": "е", "Ё": "е",  # Russian ё is usually printed as е
    # Arabic-script variants: Arabic yeh/alef maksura -> Farsi/Urdu yeh, Arabic kaf -> keheh,
    # the various heh forms -> heh goal (Urdu keyboards and Arabic keyboards disagree).
    "\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9",
    "\u0647": "\u06c1", "\u06be": "\u06c1", "\u06d5": "\u06c1", "\u0629": "\u06c1",
    "\u06c3": "\u06c1", "\u06c2": "\u06c1",
    "'": _APOSTROPHE, "\u2019": _APOSTROPHE, "\u02bc": _APOSTROPHE,
    "\u200c": " ",  # zero-width non-joiner separates the parts of an Urdu compound
    "\u0901": "\u0902",  # Devanagari candrabindu -> anusvara (spelling variants)
    # Devanagari long i and u -> short, signs and letters: Hindi news spells a word with either
    # (रूस and रुस, Russia; हिंदुस्तानी and हिंदुस्तानि), as Hindi search normalisers fold them
    "\u0940": "\u093f", "\u0942": "\u0941", "\u0908": "\u0907", "\u090a": "\u0909",
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
    # str.translate is fast on ASCII only; elsewhere it looks each character up in Python, about
    # 60 ns a character (a 5 KB Russian or Urdu article: 0.3 ms). An array look-up is one pass.
    folded = text.translate(_TABLE) if len(text) < 200 or text.isascii() else _translate_array(text)
    if _APOSTROPHE in folded:  # one character for one: offsets hold
        folded = _APOSTROPHE_IN_CYRILLIC.sub("\u02bc", folded).replace(_APOSTROPHE, " ")
    if _VIRAMA in folded:  # Devanagari: a nasal and virama before its own class is the anusvara
        folded = _NASAL_CLUSTER.sub(_ANUSVARA + _DELETED, folded)
    offsets = None
    if _DELETED in folded or _SHARP_S in folded:
        offsets = _offsets(folded)
        folded = folded.replace(_DELETED, "").replace(_SHARP_S, "ss")
    return Folded(" " + folded + " ", offsets, len(text))


_CODES = np.frombuffer(_TABLE.encode("utf-32-le"), dtype=np.uint32)  # _TABLE as code points


def code_points(text: str) -> np.ndarray:
    """``text`` as an array of code points (lone surrogates included), for per-character work in
    one pass: str.translate looks each non-ASCII character up in Python."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def from_code_points(codes: np.ndarray) -> str:
    """The text of an array of code points (the inverse of ``code_points``)."""
    return codes.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


def _translate_array(text: str) -> str:
    """``text.translate(_TABLE)``, done on an array of code points (characters past the table's
    end are left as they are, as translate leaves them)."""
    codes = code_points(text)
    out = _CODES[np.minimum(codes, _TABLE_SIZE - 1)]
    beyond = codes >= _TABLE_SIZE
    if beyond.any():
        out = np.where(beyond, codes, out)
    return from_code_points(out)


def _offsets(folded: str) -> list[int]:
    """The original index of each character left once _DELETED marks are dropped and each ß is
    "ss" (both letters of an "ss" point at their ß, so a word's start and end map back to it)."""
    codes = code_points(folded)
    kept = np.flatnonzero(codes != ord(_DELETED))
    return np.repeat(kept, 1 + (codes[kept] == ord(_SHARP_S))).tolist()


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
