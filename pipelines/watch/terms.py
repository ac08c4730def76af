"""Term syntax: how one alias string of a watch file becomes a pattern of words.

    Patruszew            inflected: Patruszewa, Patruszewem, ... (names and common words alike)
    national security adviser     a phrase: every word inflects, words must be adjacent
    =Mir                 exact: no endings allowed (for short or ambiguous words)
    kontrterror*         prefix: any continuation (kontrterroryzm, kontrterrorystyczne)
    *hubschrauber        compound head: the word, or a word ending in it, inflected
                         (Hubschrauber, Kampfhubschraubern): German and Dutch write compounds as one word
    *abwehr*             infix: any word holding it (Flugabwehrraketen)
    Pak-                 only as the first part of a hyphenated compound (Pak-Russia)
    ISI                  upper-case acronyms (up to 5 letters) are exact and case-sensitive
    Mi-35                words with digits allow a short letter suffix (Mi-35M)
    اطلاعاتی@fa          only in documents of these languages (or of unknown language): for a
                         word another language of the script writes alike with another meaning
                         (Farsi اطلاعاتی "intelligence", cut to its stem, is Urdu اطلاعات "reports")
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .inflect import MIN_STEM, Stem, stems_of
from .normalize import script_of, words_with_originals

MODES = ("inflect", "exact", "prefix", "numeric", "head", "infix")
_MIN_PREFIX = 3
_MIN_HEAD = 4  # a compound head or infix matches inside words: shorter ones are found everywhere
_MAX_ACRONYM = 5
# "@ar" or "@ar,fa" at the end of an alias: ISO 639-1 codes of the languages it is written in
_LANGUAGES = re.compile(r"@([a-z]{2}(?:,[a-z]{2})*)$")


@dataclass(frozen=True)
class WordSpec:
    text: str                   # folded word
    mode: str                   # one of MODES
    stems: tuple[Stem, ...]     # strings a matching document word starts with
    script: str
    case_sensitive: bool = False  # acronyms: the document form must be upper case too


@dataclass(frozen=True)
class TermSpec:
    source: str                 # the alias exactly as written in the watch file
    words: tuple[WordSpec, ...]
    anchor: int                 # the word indexed in the automaton (the most distinctive one)
    hyphen_before: bool = False
    hyphen_after: bool = False
    languages: frozenset = frozenset()  # empty: any language

    @property
    def key(self) -> tuple:
        """Identity of what the term matches (two groups may share the same alias)."""
        return (self.words, self.hyphen_before, self.hyphen_after, self.languages)


def parse_term(raw: str) -> TermSpec:
    """Parse one alias; raises ValueError saying what is wrong."""
    if not isinstance(raw, str):
        raise ValueError(f"a term must be a string, not {type(raw).__name__}")
    text, languages = _split_languages(raw)
    if not languages and "@" in text:
        raise ValueError(f"term {raw!r}: '@' ends an alias with language codes, e.g. 'اطلاعاتی@fa' or 'intelligence@en,pl'")
    spec = _parse(raw, text)
    return replace(spec, languages=languages) if languages else spec


def _split_languages(raw: str) -> tuple[str, frozenset]:
    """An alias without its language scope, and the scope's codes ("اطلاعاتی@fa" -> "اطلاعاتی", {"fa"})."""
    text = raw.strip()
    languages = _LANGUAGES.search(text)
    if not languages:
        return text, frozenset()
    return text[: languages.start()].rstrip(), frozenset(languages.group(1).split(","))


def written_words(raw: str) -> str:
    """An alias's words as written, without the exact mark and the language scope ("=Chin@pl" ->
    "Chin"): what a dictionary looks up."""
    return _split_languages(raw)[0].removeprefix("=").strip()


def _parse(raw: str, text: str) -> TermSpec:
    exact = text.startswith("=")
    if exact:
        text = text[1:].strip()
    hyphen_before = text.startswith("-")
    hyphen_after = text.endswith("-")
    text = text.strip("-").strip()
    head = text.startswith("*")
    text = text[1:] if head else text
    if not text:
        raise ValueError(f"empty term {raw!r}")
    if re.search(r"\*(?=\w)|(?<!\w)\*", text):
        raise ValueError(f"term {raw!r}: '*' may only end a word (prefix match) or begin a single-word term "
                         f"(compound head)")
    # '*' becomes an ignorable character for folding, so it does not split the word
    pairs = words_with_originals(text.replace("*", "\u2060"))
    if not pairs:
        raise ValueError(f"term {raw!r} has no letters or digits")
    if head:
        if len(pairs) > 1 or exact or hyphen_before or hyphen_after:
            raise ValueError(f"term {raw!r}: a compound head (*word) is one word, without '=' or hyphens")
        words = [_head_spec(raw, pairs[0][0], infix=text.endswith("*"))]
        return TermSpec(raw, tuple(words), 0)
    words = []
    rest = text
    for folded, original in pairs:
        at = rest.find(original)
        rest = rest[at + len(original):]
        star = rest.startswith("*")
        words.append(_word_spec(raw, folded, original, exact, star, len(pairs) > 1))
    anchor = max(range(len(words)), key=lambda i: (min(len(s.text) for s in words[i].stems), -i))
    return TermSpec(raw, tuple(words), anchor, hyphen_before, hyphen_after)


def _head_spec(raw: str, word: str, infix: bool) -> WordSpec:
    script = script_of(word)
    if script == "han":
        raise ValueError(f"term {raw!r}: Han terms match inside runs of Han text already; drop the '*'")
    if sum(c.isalpha() for c in word) < _MIN_HEAD:
        raise ValueError(f"term {raw!r}: a compound head or infix needs at least {_MIN_HEAD} letters")
    if infix:
        return WordSpec(word, "infix", (Stem(word, True),), script)
    # the head's own endings inflect the compound (Kampfhubschrauber-n); no dictionary look-up:
    # a head is a part of words, not a word the dictionary lists
    return WordSpec(word, "head", stems_of(word), script)


def _word_spec(raw: str, word: str, original: str, exact: bool, prefix: bool, in_phrase: bool) -> WordSpec:
    script = script_of(word)
    if prefix:
        if len(word) < _MIN_PREFIX:
            raise ValueError(f"term {raw!r}: prefix {word!r}* is too short (at least {_MIN_PREFIX} letters)")
        return WordSpec(word, "prefix", (Stem(word, True),), script)
    letters = [c for c in original if c.isalpha()]
    acronym = 2 <= len(letters) <= _MAX_ACRONYM and original.upper() == original and original.lower() != original
    if any(c.isdigit() for c in word):
        return WordSpec(word, "numeric", (Stem(word, True),), script, acronym)
    if exact or acronym or len(word) < MIN_STEM[script] - (1 if in_phrase else 0):
        return WordSpec(word, "exact", (Stem(word, True),), script, acronym)
    return WordSpec(word, "inflect", stems_of(word, original, in_phrase), script)
