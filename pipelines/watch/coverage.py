"""Which inflected forms of a watch's terms the matcher finds, checked against a dictionary.

The matcher inflects terms by rule, not from a dictionary (names and places are in none), so a
rule can miss a form: the Ukrainian locative *безпеці* of *безпека*, the plural *Rosjan* of
*Rosjanin*. simplemma (already used for lemmas) carries, for each of its languages, every form it
knows with its lemma; read backwards, that is each term's list of forms. Each form is matched
alone, as a word of a document in that language, and the ones no term finds are listed.

The lists hold what a dictionary holds: verb forms of a noun's lemma, comparatives, archaic
forms. A miss is a question to read, not a verdict; the ones worth a rule or an alias are the
case and number forms of nouns and adjectives. A form counts as found when any term of the same
group finds it (an alias may be listed for a form the rules do not give).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from .automaton import TermIndex
from .model import Watch
from .normalize import fold
from .terms import written_words

# the script each language simplemma knows is written in, for the languages of the bundled watches
# and their neighbours (a term in another script is not that language's)
SCRIPTS = {
    "pl": "latin", "de": "latin", "fr": "latin", "en": "latin", "tr": "latin", "cs": "latin",
    "sk": "latin", "es": "latin", "it": "latin", "pt": "latin", "nl": "latin", "ro": "latin",
    "ru": "cyrillic", "uk": "cyrillic", "bg": "cyrillic", "mk": "cyrillic",
    "ar": "arabic", "fa": "arabic", "hi": "devanagari",
}


@dataclass
class TermCoverage:
    group: str
    term: str                                   # as written in the watch file (", "-joined: one lemma's)
    lemma: str                                  # the dictionary's lemma of it
    found: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"group": self.group, "term": self.term, "lemma": self.lemma,
                "found": len(self.found), "missed": self.missed}


@lru_cache(maxsize=2)
def _forms_by_lemma(language: str) -> dict[str, frozenset[str]]:
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    forms: dict[str, set[str]] = defaultdict(set)
    for form, lemma in DefaultDictionaryFactory().get_dictionary(language).items():
        if " " not in form:
            forms[lemma.lower()].add(form)
    return {lemma: frozenset(words) for lemma, words in forms.items()}


def inflection_coverage(watch: Watch, language: str, group: str | None = None) -> list[TermCoverage]:
    """For each one-word term of ``watch`` (inflecting or exact) in ``language``'s script that the
    dictionary knows as a form of a lemma: the lemma's forms (sharing the term's first two
    letters) that a term of its group finds, and those none finds. Raises ValueError for a
    language without a dictionary here."""
    if language not in SCRIPTS:
        raise ValueError(f"no dictionary for {language!r}; one of: {', '.join(sorted(SCRIPTS))}")
    import simplemma

    by_lemma = _forms_by_lemma(language)
    report = []
    seen = set()
    group_index: dict[str, TermIndex] = {}  # a form counts as found when any term of the group finds it
    by_group_lemma: dict[tuple[str, str], TermCoverage] = {}
    for name, watch_group in watch.groups.items():
        if group is not None and name != group:
            continue
        for term in watch_group.terms:
            word = term.words[0]
            if (len(term.words) != 1 or word.mode not in ("inflect", "exact") or word.case_sensitive
                    or term.hyphen_before or term.hyphen_after or word.script != SCRIPTS[language]
                    or (term.languages and language not in term.languages) or term.key in seen):
                continue
            seen.add(term.key)
            written = written_words(term.source)  # "=Chin@pl" -> "Chin"
            lemma = simplemma.lemmatize(written, lang=language)
            forms = by_lemma.get(lemma.lower(), frozenset())
            # a guess is no lemma: the term must be one of the lemma's own forms, and a name's
            # lemma a name (French "Munir" is no form of the verb munir)
            if (written.lower() not in {f.lower() for f in forms} | {lemma.lower()}
                    or (written[:1].isupper() and not lemma[:1].isupper())):
                continue
            forms = sorted(f for f in forms if f[:2].lower() == written[:2].lower())
            if not forms:
                continue
            known = by_group_lemma.get((name, lemma.lower()))
            if known is not None:  # another form of a lemma already checked: one entry per lemma
                known.term += f", {term.source}"
                continue
            if name not in group_index:
                group_index[name] = TermIndex(list(watch_group.terms))
            index = group_index[name]
            entry = TermCoverage(name, term.source, lemma)
            for form in forms:
                text = f"x {form} x"
                (entry.found if index.scan(fold(text), text, language) else entry.missed).append(form)
            report.append(entry)
            by_group_lemma[(name, lemma.lower())] = entry
    return report


def format_coverage(report: list[TermCoverage], language: str, forms_shown: int = 12) -> str:
    """A summary line, then one line per term that misses forms (most misses first)."""
    total = sum(len(t.found) + len(t.missed) for t in report)
    missed = sum(len(t.missed) for t in report)
    lines = [f"{language}: {len(report)} lemmas checked, {total - missed} of {total} dictionary forms found, "
             f"{missed} missed."]
    for t in sorted((t for t in report if t.missed), key=lambda t: (-len(t.missed), t.group, t.term)):
        listed = ", ".join(t.missed[:forms_shown])
        more = len(t.missed) - forms_shown
        lines.append(f"  {t.group}: {t.term} ({t.lemma})  misses {len(t.missed)} of "
                     f"{len(t.found) + len(t.missed)}: {listed}" + (f", … ({more} more)" if more > 0 else ""))
    return "\n".join(lines)
