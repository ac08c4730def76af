"""Inflection without a dictionary: stems of a term word, and the endings a document may add.

Names like *Patruszew* or *Bajwa* are in no dictionary, yet Polish and Russian decline them
(*Patruszewem*, *Bajwy*, *Баджвой*). So a term word is cut to its possible stems (the word minus
a known ending, plus the usual Polish consonant alternations and Slavic fleeting vowels), and a
document word matches when it is one of those stems followed by an ending of its language.
All strings here are folded (see normalize.py): no diacritics, so Polish ą/ę are a/e, ó is o.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .normalize import fold_words, script_of

# Noun, adjective and pronominal endings, folded.
POLISH = frozenset("""
a e i o u y em om ie ia iu ii io ow owi owie ami ach iem iom iami iach
ego emu ej ym im ymi imi ych ich iego iemu iej
""".split())
RUSSIAN = frozenset("""
а я о е у ю ы и й ь ом ем ой ей ам ям ах ях ами ями ов ев ий ый ая яя ое ее ые ие ую юю
ого его ому ему ым им ых их ыми ими ою ею ию ия ии ией иям иях иями ью
""".split())
GERMAN = frozenset("e en n er ern es s em".split())
FRENCH = frozenset("e s es".split())
ENGLISH = frozenset("s es".split())
# Ukrainian noun and adjective endings (Росії, Пакистаном, в Ісламабаді, російського, Путіним).
UKRAINIAN = frozenset("""
а я о е у ю и і ї й ь ом ем єм ою ею єю ам ям ах ях ами ями ів їв ей ові еві єві
ий ій ого його ому йому им ім их іх ими іми ої ою ую юю ього ьому
""".split())
# Arabic-script endings, folded (ي ى -> ی, ة ه -> ہ): Urdu (روسی، پاکستانیوں), Farsi (روسیہ،
# پاکستانی، نظامیان) and Arabic (روسيا، الباكستانية، العسكرية، باكستانيين).
URDU = frozenset("ی ے وں یں ا".split())
# Urdu letters that do not join the next one, folded (آ -> ا, ۓ -> ے, ؤ -> و): after them the
# space is often left out, and the postpositions and "and" most often written on after a name
# ("ماسکونے", "روسیوںکے"); on a document word only, never cut off a term.
URDU_NON_JOINING = "ادڈذرڑزژوے"
URDU_GLUED = frozenset("نے کو کے کی کا سے میں پر اور تک".split())
URDU_WRITTEN_ON = URDU | URDU_GLUED | {ending + glued for ending in URDU for glued in URDU_GLUED}
ARABIC_SCRIPT = URDU | frozenset("""
یا یہ یان یون یین ین ون ات ان ای ہا ہای ہایی ش ہم ہا یش یاں یوں
""".split())
# Turkish case, possessive and plural suffixes, folded (ı -> i, ş -> s, ğ -> g): Rusya'nın is
# split at the apostrophe anyway; common nouns take them directly (savunmaya, tatbikatı).
TURKISH = frozenset("""
i u a e in un nin nun ya ye yi yu da de ta te dan den tan ten la le yla yle ca ce
li lu lar ler lari leri larin lerin larda lerde lardan lerden lara lere si su sin sun
sini sunu sine suna sinde sunda sinden sundan siyle suyla ndaki ndeki daki deki taki teki
ki dir dur tir tur lik luk ligi lugu ci cu ciler
""".split())
# Turkish stacks its suffixes: plural, possessive, case, then -ki or a copula (tatbikat-lar-ı-na,
# helikopter-imiz-de, tank-lar-la). A Turkish document's word may carry any chain of them; a
# document of unknown language only the short list above.
_TR_PLURAL = ("", "lar", "ler")
_TR_POSSESSIVE = ("", "im", "um", "in", "un", "i", "u", "si", "su", "imiz", "umuz", "iniz", "unuz",
                  "lari", "leri", "m", "n", "miz", "muz", "niz", "nuz")
_TR_CASE = ("", "i", "u", "yi", "yu", "ni", "nu", "a", "e", "ya", "ye", "na", "ne", "da", "de", "ta",
            "te", "nda", "nde", "dan", "den", "tan", "ten", "ndan", "nden", "in", "un", "nin", "nun",
            "la", "le", "yla", "yle", "ca", "ce")
_TR_LAST = ("", "ki", "dir", "dur", "tir", "tur", "di", "du", "ti", "tu")
TURKISH_CHAINS = (TURKISH | frozenset(
    plural + possessive + case + last for plural in _TR_PLURAL for possessive in _TR_POSSESSIVE
    for case in _TR_CASE for last in _TR_LAST)) - {""}
# Hindi: the postpositions are separate words, so only the oblique and plural endings
# (रूसी, पाकिस्तानी, सैनिकों, सेनाएं).
# Written folded: the long ी is the short ि, candrabindu the anusvara (normalize.py)
HINDI = frozenset("ि े ों ो ा ें ाएं ाओं ियों ियां".split())

_LATIN_BY_LANGUAGE = {"pl": POLISH, "de": GERMAN, "fr": FRENCH, "en": ENGLISH, "tr": TURKISH_CHAINS}
_ALL_LATIN = POLISH | GERMAN | FRENCH | ENGLISH
_CYRILLIC_BY_LANGUAGE = {"ru": RUSSIAN, "uk": UKRAINIAN}
_ALL_CYRILLIC = RUSSIAN | UKRAINIAN

# Minimum stem length (characters) below which a word is matched only exactly: a short stem
# plus an ending matches too many unrelated words.
MIN_STEM = {"latin": 4, "cyrillic": 4, "arabic": 3, "devanagari": 3, "han": 1, "other": 10**6}
# A stripped stem may stand bare (Polish genitive plural: *ćwiczeń*) only when this long. Inside
# a phrase the other words vouch for it, so a shorter one may (*вооружённых сил*, *sił zbrojnych*:
# the genitive plural of *силы*, *siły* has no ending).
MIN_BARE_STEM = 5
MIN_BARE_STEM_IN_PHRASE = 3

# Polish locative/dative consonant alternations: Islamabad -> w Islamabadzie, Kuwejt -> w
# Kuwejcie, Kair -> w Kairze, Ameryka -> w Ameryce, Praga -> w Pradze.
_POLISH_ALTERNATIONS = (("d", "dz"), ("t", "c"), ("r", "rz"), ("k", "c"), ("g", "dz"), ("ch", "sz"))
# Fleeting vowels: śmigłowiec -> śmigłowca, budynek -> budynku, боец -> бойца, рынок -> рынка.
# Slavic surname suffixes, folded. A name ending in one keeps it in every case (Kabułowa,
# Kabułowem, Кабуловым, Патрушеве), so it is never cut off a capitalised word: cutting it only
# yields other words (Kabułow -> Kabul, the city; Бортников -> бортник; Герасимов -> Герасим).
_SURNAME_SUFFIXES = frozenset(("ow", "ew", "ов", "ев"))
_FLEETING = (("iec", "c"), ("ek", "k"), ("ец", "ц"), ("ок", "к"), ("ек", "к"), ("ель", "л"))
# Ukrainian alternations: a noun in -к(а), -г(а), -х(а) takes -ці, -зі, -сі in the dative and
# locative (розвідка -> розвідці, безпека -> безпеці, Прага -> Празі, Петербург -> Петербурзі);
# the і of a closed last syllable is о or е when an ending opens it (газопровід -> газопроводу,
# Львів -> Львова); a neuter in a doubled consonant + я has one consonant and a soft sign in the
# genitive plural (навчання -> навчань, озброєння -> озброєнь).
_UKRAINIAN_SOFTENED = {"к": "ц", "г": "з", "х": "с"}
# ... and the other way: the genitive plural of a noun in consonant + -ka puts a vowel back
# (лодка -> лодок, сделка -> сделок, поставка -> поставок, łódka -> łódek); it has no ending.
_INSERTED = {"cyrillic": ("о", "е"), "latin": ("e",)}
_VOWELS = frozenset("аеёиоуыэюяaeiouy")


def endings_for(script: str, language: str | None) -> frozenset[str]:
    """Endings a document word in ``script`` may carry, given the document language if known."""
    if script == "latin":
        specific = _LATIN_BY_LANGUAGE.get(language or "")
        return specific | ENGLISH if specific else _ALL_LATIN | TURKISH
    if script == "cyrillic":
        return _CYRILLIC_BY_LANGUAGE.get(language or "", _ALL_CYRILLIC)
    if script == "arabic":
        return URDU_WRITTEN_ON if language == "ur" else ARABIC_SCRIPT
    if script == "devanagari":
        return HINDI
    return frozenset()


def _term_endings(script: str) -> frozenset[str]:
    """Endings cut off a term word to find its stems (terms are written in base form: Turkish
    and Arabic-script suffixes are only accepted on document words, never cut off terms)."""
    return {"latin": _ALL_LATIN, "cyrillic": _ALL_CYRILLIC, "arabic": URDU,
            "devanagari": HINDI}.get(script, frozenset())


# Arabic clitics written together with the next word: و (and), ف, ب, ل, ك and the article ال
# (وباكستان، الباكستانية، بالجيش، للأمن). Folded: ك -> ک. Urdu and Farsi do not prefix these.
ARABIC_PREFIXES = ("ال", "وال", "بال", "فال", "کال", "لل", "و", "ف", "ب", "ل")


@dataclass(frozen=True)
class Stem:
    """A string a document word may start with; ``bare_ok`` if the word may also end right there."""

    text: str
    bare_ok: bool


@lru_cache(maxsize=None)
def stems_of(word: str, original: str = "", in_phrase: bool = False) -> tuple[Stem, ...]:
    """Stems of a folded term word: the word itself, and the word minus each ending it has.

    ``original`` is the word as the analyst wrote it; when it is a lower-case common word, its
    dictionary lemma adds stems (an alias written *śmigłowce* also finds *śmigłowiec*).
    Inside a phrase the neighbouring words disambiguate, so shorter stems are allowed
    (*Rada* -> *Rady Bezpieczeństwa*).
    """
    script = script_of(word)
    min_stem = MIN_STEM[script] - (1 if in_phrase else 0)
    min_bare = MIN_BARE_STEM_IN_PHRASE if in_phrase else MIN_BARE_STEM
    stems = {word: True}
    is_name = original[:1].isupper()
    for ending in _term_endings(script):
        if is_name and ending in _SURNAME_SUFFIXES:
            continue
        if word.endswith(ending) and len(word) - len(ending) >= min_stem:
            stem = word[: -len(ending)]
            stems[stem] = stems.get(stem, False) or len(stem) >= min_bare
    for stem in list(stems):
        if script == "latin":
            for plain, alternated in _POLISH_ALTERNATIONS:
                if stem.endswith(plain):
                    stems.setdefault(stem[: -len(plain)] + alternated, False)
        for full, short in _FLEETING:
            if stem.endswith(full) and len(stem) - len(full) + len(short) >= min_stem:
                stems.setdefault(stem[: -len(full)] + short, False)
    if script == "cyrillic":
        _ukrainian_stems(word, min_stem, stems)
    # the plural of a people's -anin drops -in: россиянин -> россияне, россиян; Rosjanin -> Rosjan
    if word.endswith(("анин", "янин", "anin")) and len(word) - 2 >= min_stem:
        stems.setdefault(word[:-2], True)
    if script == "latin":
        _french_stems(word, min_stem, stems)
    if word[-2:] in ("ка", "ka") and len(word) > min_stem and word[-3] not in _VOWELS:
        for vowel in _INSERTED.get(script, ()):
            stems.setdefault(word[:-2] + vowel + word[-2], True)
    for lemma in _dictionary_lemmas(original, word, script):
        if lemma != word:
            for stem in stems_of_lemma(lemma):
                stems.setdefault(stem.text, stem.bare_ok)
    return tuple(Stem(text, bare) for text, bare in sorted(stems.items()))


def _ukrainian_stems(word: str, min_stem: int, stems: dict[str, bool]) -> None:
    """Add the stems of the Ukrainian alternations above (see ``_UKRAINIAN_SOFTENED``)."""
    if len(word) < min_stem + 2:
        return
    if word[-1] == "а" and word[-2] in _UKRAINIAN_SOFTENED:
        stems.setdefault(word[:-2] + _UKRAINIAN_SOFTENED[word[-2]], False)
    if word[-1] in _UKRAINIAN_SOFTENED:  # the masculine locative too: у Петербурзі, у Владивостоці
        stems.setdefault(word[:-1] + _UKRAINIAN_SOFTENED[word[-1]], False)
    if word[-2] == "і" and word[-1] not in _VOWELS | {"ь", "й", "і", "ї", "є"}:
        for vowel in ("о", "е"):
            stems.setdefault(word[:-2] + vowel + word[-1], False)
    if word[-1] == "я" and word[-2] == word[-3] and word[-2] not in _VOWELS:
        stems.setdefault(word[:-2] + "ь", True)


def _french_stems(word: str, min_stem: int, stems: dict[str, bool]) -> None:
    """French doubles the n of -ien in the feminine (iranien -> iranienne) and makes the plural of
    -al in -aux (spatial -> spatiaux)."""
    if word.endswith("ien") and len(word) >= min_stem + 2:
        stems.setdefault(word + "n", False)
    if word.endswith("al") and len(word) >= min_stem + 2:
        stems.setdefault(word[:-2] + "aux", True)


def stems_of_lemma(lemma: str) -> tuple[Stem, ...]:
    """Stems of a dictionary lemma (no further dictionary look-up, to avoid chains)."""
    script = script_of(lemma)
    stems = {lemma: True}
    for ending in _term_endings(script):
        if lemma.endswith(ending) and len(lemma) - len(ending) >= MIN_STEM[script]:
            stems.setdefault(lemma[: -len(ending)], len(lemma) - len(ending) >= MIN_BARE_STEM)
    return tuple(Stem(t, b) for t, b in stems.items())


def _dictionary_lemmas(original: str, word: str, script: str) -> list[str]:
    """Lemmas simplemma knows for a term word written in an inflected form (e.g. *śmigłowce*).

    Names (capitalised, or upper case) are skipped: no dictionary knows *Patruszew*, and a
    greedy guess would only add noise. Only lemmas sharing the first three letters are kept, so
    a dictionary oddity cannot turn a term into an unrelated word. Without simplemma: empty.
    """
    languages = {"latin": ("pl", "de", "fr", "en"), "cyrillic": ("ru",)}.get(script, ())
    if not languages or not original or not original.islower():
        return []
    lemmas = []
    for language in languages:
        lemma = dictionary_lemma(original, language)
        if lemma is None:
            continue
        folded = fold_words(lemma)
        if (len(folded) == 1 and folded[0][:3] == word[:3] and folded[0] not in lemmas
                and len(folded[0]) >= MIN_STEM[script]):
            lemmas.append(folded[0])
    return lemmas


# simplemma loads a whole language dictionary (1-2 s each, five languages) on its first call.
# The lemmas of the bundled watches' words are kept in lemmas.json (regenerate with
# `python -m pipelines.watch.lemma_table`; a test fails when it is stale), so a crawl starts in
# well under a second; a word of an analyst's own watch falls back to simplemma.
LEMMA_TABLE = Path(__file__).with_name("lemmas.json")
_recording: dict[str, str | None] | None = None


@functools.cache
def _lemma_table() -> dict[str, str | None]:
    try:
        return json.loads(LEMMA_TABLE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def dictionary_lemma(word: str, language: str) -> str | None:
    key = f"{language}:{word}"
    if _recording is None and key in _lemma_table():
        return _lemma_table()[key]
    try:
        import simplemma

        lemma = simplemma.lemmatize(word, lang=language)
    except ImportError:  # optional: the stem rules work without it
        lemma = None
    except (ValueError, KeyError):
        lemma = None
    if _recording is not None:
        _recording[key] = lemma
    return lemma
