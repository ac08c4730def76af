"""Analysts' verdicts as a labelled example set, split once and for good into a half to tune on
and a half to check on (``newswatch watch export WATCH DIR``).

The development set's rule, kept for live data: a change to a watch is proposed from one half
(``watch suggest WATCH --examples DIR/tuning``) and judged on the other, which nobody tunes on
(``watch test WATCH --examples DIR/heldout``). The half is decided by a hash of the article's
canonical URL (of its text when it has none), so an article stays in its half at every export,
whichever database it came from, and new verdicts split as they arrive.

What is written, one file per article (the layout ``watch test`` reads):
  relevant/    matches whose newest verdict is "relevant", and articles reported missed
  irrelevant/  matches whose newest verdict is "irrelevant"
An article both judged and reported missed counts once, as its newest word says. Files this
export wrote before and that no longer hold (a verdict changed, a match deleted) are removed;
other files in the folders are left alone.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from pipelines.queries import judged_matches, missed_reports

HALVES = ("tuning", "heldout")
LABELS = ("relevant", "irrelevant")
_OWN_FILE = re.compile(r"^(match|missed)-\d+-[a-z0-9-]*(\.[a-z]{2})?\.txt$")  # what an export writes
_SLUG_WORDS = 40  # characters of the title kept in a file name


def half_of(key: str) -> str:
    """"tuning" or "heldout" for an article's key (its canonical URL): even or odd first 32 bits of
    its sha256. The same key always gets the same half."""
    return HALVES[int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % 2]


def example_name(kind: str, ident: int, title: str | None, language: str | None) -> str:
    """``match-12-pakistan-and-russia-sign.pl.txt``: a file name safe on every file system (ASCII
    letters, digits and hyphens), the language code where the reader of examples looks for it."""
    slug = re.sub(r"[^a-z0-9]+", "-", (title or "").lower()).strip("-")[:_SLUG_WORDS].strip("-")
    code = f".{language}" if language and re.fullmatch(r"[a-z]{2}", language) else ""
    return f"{kind}-{ident}-{slug or 'untitled'}{code}.txt"


def example_content(title: str | None, text: str | None) -> str:
    """A ``# title`` line, then the text: what ``read_example`` reads back as the same document."""
    return f"# {' '.join((title or '').split())}\n{(text or '').strip()}\n"


@dataclass
class _Labelled:
    key: str
    when: datetime
    relevant: bool
    name: str
    content: str


@dataclass
class ExportReport:
    watch: str
    directory: str
    counts: dict = field(default_factory=dict)  # {(half, label): files}
    written: int = 0     # new or changed files
    unchanged: int = 0
    removed: int = 0     # files of an earlier export that no longer hold

    def __str__(self) -> str:
        lines = [f"{self.directory}: {self.written} written, {self.unchanged} unchanged, {self.removed} removed"]
        if not self.counts:
            lines.append(f"no verdicts or missed-article reports for {self.watch} yet: mark its matches relevant or "
                         "irrelevant in the review app or with `newswatch feedback`, and report what it missed")
        for half in HALVES:
            relevant, irrelevant = (self.counts.get((half, label), 0) for label in LABELS)
            lines.append(f"  {half}/: {relevant} relevant, {irrelevant} irrelevant")
        lines.append(f"tune with `newswatch watch suggest {self.watch} --examples {Path(self.directory) / 'tuning'}`; "
                     f"check on `newswatch watch test {self.watch} --examples {Path(self.directory) / 'heldout'}`")
        return "\n".join(lines)


def article_key(canonical_url: str | None, url: str | None, text: str) -> str:
    """What decides an article's half: its canonical URL (the stored article's, else made from a
    reported URL), else its text's hash."""
    if canonical_url:
        return canonical_url
    if url:
        from pipelines.dedup import canonical_url as canonical

        try:
            return canonical(url)
        except ValueError:
            pass
    return "text:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def labelled(session: Session, watch: str) -> list[_Labelled]:
    """Every article the analysts labelled for ``watch``, once each, by its newest verdict or report."""
    found: dict[str, _Labelled] = {}

    def keep(item: _Labelled) -> None:
        if item.key not in found or item.when >= found[item.key].when:
            found[item.key] = item

    for match_id, verdict, article in judged_matches(session, watch):
        keep(_Labelled(article_key(article.canonical_url, None, article.text), verdict.created_at,
                       verdict.verdict == "relevant", example_name("match", match_id, article.title, article.language),
                       example_content(article.title, article.text)))
    for row, canonical_url in missed_reports(session, watch):
        keep(_Labelled(article_key(canonical_url, row.url, row.text), row.created_at, True,
                       example_name("missed", row.id, row.title, row.language),
                       example_content(row.title, row.text)))
    return sorted(found.values(), key=lambda item: item.name)


def export(session: Session, watch: str, directory: str | Path) -> ExportReport:
    """Write the labelled articles of ``watch`` under ``directory``/{tuning,heldout}/{relevant,irrelevant}/."""
    root = Path(directory)
    report = ExportReport(watch, str(root))
    for half in HALVES:  # made even when empty: a folder that cannot be written fails here, and at once
        for label in LABELS:
            (root / half / label).mkdir(parents=True, exist_ok=True)
    wanted: set[Path] = set()
    for item in labelled(session, watch):
        half, label = half_of(item.key), LABELS[0] if item.relevant else LABELS[1]
        path = root / half / label / item.name
        wanted.add(path)
        report.counts[(half, label)] = report.counts.get((half, label), 0) + 1
        if path.is_file() and path.read_bytes() == item.content.encode("utf-8"):
            report.unchanged += 1
            continue
        path.write_text(item.content, encoding="utf-8")
        report.written += 1
    for half in HALVES:
        for label in LABELS:
            for path in (root / half / label).glob("*.txt"):
                if path not in wanted and _OWN_FILE.match(path.name):
                    path.unlink()
                    report.removed += 1
    return report
