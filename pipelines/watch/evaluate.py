"""Measure a watch on labelled example articles (precision, recall, what it got wrong).

Layout: ``<examples_dir>/relevant/*.txt`` and ``<examples_dir>/irrelevant/*.txt``. A file whose
first line starts with ``# `` has that line as its title; the rest is the text. A language
code before ``.txt`` (``03-druzhba.pl.txt``) is passed on as the document language (see read_example).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..language import detect_language
from ..text import read_at_most
from .matcher import Matcher
from .model import Document, Watch

_LANGUAGE_SUFFIX = re.compile(r"\.([a-z]{2})$")


@dataclass
class EvalReport:
    precision: float
    recall: float
    tp: int
    fp: int
    fn: int
    tn: int
    # (path, expected relevant?, fired?, score) for every example the watch got wrong
    misclassified: list[tuple[str, bool, bool, float]] = field(default_factory=list)
    # {language: [tp, fp, fn, tn]}: the file name's code, else the detected one ("?" if none)
    by_language: dict[str, list[int]] = field(default_factory=dict)
    lead_chars: int | None = None  # each example's text was cut to its lead (see ``lead``)

    def __str__(self) -> str:
        lines = [f"precision {self.precision:.3f}  recall {self.recall:.3f}  "
                 f"(tp {self.tp}, fp {self.fp}, fn {self.fn}, tn {self.tn})"]
        if self.lead_chars:
            lines[0] += f" on each example's first {self.lead_chars} characters"
        if len(self.by_language) > 1:  # a watch often does well in one language and not another
            for language, (tp, fp, fn, tn) in sorted(self.by_language.items()):
                lines.append(f"  {language}: recall {tp}/{tp + fn}, false positives {fp}/{fp + tn}")
        for path, expected, got, score in self.misclassified:
            kind = "missed" if expected else "false alarm"
            lines.append(f"  {kind}: {path} (score {score:g})")
        return "\n".join(lines)


MAX_EXAMPLE_BYTES = 16 * 1024 * 1024  # an article is a few kB; a device or a dump is not one


def read_example(path: Path) -> Document:
    """A text file as a Document: the one reader of `watch test` and `explain FILE`.

    A first line ``# …`` is the title (it counts with the watch's title boost); the rest is the
    text. The language is the file name's code (``.pl.txt``), else detected from the text as for
    a crawled article. Bytes that are not UTF-8 are replaced, not fatal.
    """
    content = read_at_most(path, MAX_EXAMPLE_BYTES).decode("utf-8-sig", errors="replace")
    title = ""
    if content.startswith("# "):
        first, _, content = content.partition("\n")
        title = first[2:].strip()
    text = content.strip()
    match = _LANGUAGE_SUFFIX.search(path.stem)
    language = match.group(1) if match else detect_language(f"{title}\n{text}")
    return Document(title=title, text=text, language=language)


def labelled_examples(examples_dir: str | Path) -> list[tuple[Path, bool]]:
    """The example files under ``examples_dir``, each with whether it is relevant: relevant/*.txt,
    then irrelevant/*.txt, each in name order. FileNotFoundError when there are none."""
    examples_dir = Path(examples_dir)
    labelled = [(p, True) for p in sorted((examples_dir / "relevant").glob("*.txt"))]
    labelled += [(p, False) for p in sorted((examples_dir / "irrelevant").glob("*.txt"))]
    if not labelled:
        raise FileNotFoundError(f"no examples under {examples_dir}/relevant or /irrelevant")
    return labelled


def lead(text: str, chars: int) -> str:
    """The first ``chars`` characters of ``text``, as a brief or a feed summary would carry them:
    ended at the last line or sentence end in their second half, so that the cut does not leave a
    broken sentence; cut at ``chars`` when there is none. A text no longer than ``chars`` is kept."""
    if len(text) <= chars:
        return text
    cut = text[:chars]
    end = max(cut.rfind("\n"), cut.rfind(". "))
    return cut[:end + 1] if end > chars // 2 else cut


def evaluate_examples(watch: Watch, examples_dir: str | Path, lead_chars: int | None = None) -> EvalReport:
    """``lead_chars``: match each example's title and the lead of its text (``lead``) instead of the
    whole text: how the watch does on briefs and feed summaries, which name each side once."""
    labelled = labelled_examples(examples_dir)
    matcher = Matcher([watch])
    by_language: dict[str, list[int]] = {}
    wrong = []
    for path, expected in labelled:
        document = read_example(path)
        if lead_chars:
            document = replace(document, text=lead(document.text, lead_chars))
        result = matcher.explain(document)[0]
        # the cell: 0 tp, 1 fp, 2 fn, 3 tn
        cell = (0 if expected else 1) if result.fired else (2 if expected else 3)
        by_language.setdefault(document.language or "?", [0, 0, 0, 0])[cell] += 1
        if result.fired != expected:
            wrong.append((str(path), expected, result.fired, result.score))
    tp, fp, fn, tn = (sum(counts[i] for counts in by_language.values()) for i in range(4))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return EvalReport(precision, recall, tp, fp, fn, tn, wrong, by_language, lead_chars)
