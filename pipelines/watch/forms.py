"""What each term of a watch finds: the words it matched in a set of documents, by language.

Matching folds case, diacritics and Arabic letter variants and inflects every term, and a watch
lists terms in a dozen languages at once, so a term can find words its author never meant: the
Polish rank *generał* found the English adjective of "General Assembly", Farsi *اطلاعاتی*
(intelligence) found Urdu *اطلاعات* ("according to reports"), French *Inde* with a German plural
*s* found *indes* (meanwhile). Nothing in a single explanation shows it; the list of every form a
term found, and in which languages, does. Read the terms found in more than one language first.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from .matcher import Matcher
from .model import Document, Watch

UNKNOWN = "?"  # a document whose language is not known


@dataclass
class TermForms:
    group: str
    term: str                                     # as written in the watch file
    forms: Counter = field(default_factory=Counter)  # (language, form folded to lower case) -> hits
    documents: int = 0                            # documents with at least one hit of the term

    @property
    def hits(self) -> int:
        return sum(self.forms.values())

    @property
    def languages(self) -> list[str]:
        """Document languages, most hits first."""
        by_language = Counter()
        for (language, _), count in self.forms.items():
            by_language[language] += count
        return [language for language, _ in by_language.most_common()]

    def to_dict(self) -> dict:
        return {"group": self.group, "term": self.term, "hits": self.hits, "documents": self.documents,
                "languages": self.languages,
                "forms": [{"language": language, "form": form, "hits": count}
                          for (language, form), count in self.forms.most_common()]}


def term_forms(watch: Watch, documents: Iterable[Document]) -> list[TermForms]:
    """Every term of ``watch`` that found something in ``documents``, with what it found; the
    hits an exclusion cancelled are left out, as they count nowhere. Most hits first."""
    matcher = Matcher([watch])
    found: dict[tuple[str, str], TermForms] = {}
    for document in documents:
        result = matcher.explain(document)[0]
        seen = set()
        for hit in result.hits:
            key = (hit.group, hit.term)
            entry = found.setdefault(key, TermForms(hit.group, hit.term))
            entry.forms[(document.language or UNKNOWN, hit.form.lower())] += 1
            if key not in seen:
                seen.add(key)
                entry.documents += 1
    return sorted(found.values(), key=lambda t: (-t.hits, t.group, t.term))


def format_forms(terms: list[TermForms], documents: int, min_languages: int = 1, forms_shown: int = 8) -> str:
    """One line per term, grouped by group: hits, documents, and the forms found per language."""
    shown = [t for t in terms if len(t.languages) >= min_languages]
    lines = [f"{len(shown)} terms found something in {documents} documents"
             + (f" in at least {min_languages} languages" if min_languages > 1 else "") + "."]
    for group in sorted({t.group for t in shown}):
        lines.append(f"\n{group}")
        for t in (t for t in shown if t.group == group):
            parts = []
            for language in t.languages:
                forms = Counter({form: n for (lang, form), n in t.forms.items() if lang == language})
                listed = ", ".join(f"{form} ×{n}" if n > 1 else form for form, n in forms.most_common(forms_shown))
                more = len(forms) - forms_shown
                parts.append(f"{language}: {listed}" + (f", … ({more} more)" if more > 0 else ""))
            lines.append(f"  {t.term}  {t.hits} hits in {t.documents} documents  [{'; '.join(parts)}]")
    return "\n".join(lines)
