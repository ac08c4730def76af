"""Changes to a watch proposed from analysts' verdicts and missed-article reports
(``newswatch watch suggest``). Nothing here writes a watch file: an analyst accepts a suggestion
by editing the watch.

The evidence, from the store:
  relevant    matches of the watch whose newest verdict is "relevant" (true positives)
  irrelevant  matches whose newest verdict is "irrelevant" (false positives)
  missed      articles reported as missed in the review app (false negatives)
  stored      the newest unlabelled stored articles: no verdict, no report. Their relevance is
              unknown, so they only show a change's side effects and never count for or against it.
Or from a folder of labelled examples (``--examples DIR``, the layout ``watch test`` reads):
relevant/*.txt the watch fires on are relevant, the others missed; irrelevant/*.txt are
irrelevant, fired or not (a change that makes one fire counts against it); nothing is stored.

Candidates come from plain document counts (no model to trust blindly: each says why it was
proposed):
  1. terms: words and two-word phrases found in at least MIN_SUPPORT of the still-missed articles
     and in at most MAX_BACKGROUND_SHARE of the articles the watch does not want (false
     positives, stored articles it does not match), each put in the group, of those the rules
     ask for and of its kind (a group of names takes only a capitalised word), where it makes
     the most missed articles fire;
  2. exclusions and penalty rules: phrases found in at least MIN_FALSE_POSITIVE_SUPPORT of the
     false positives and in a smaller share of the relevant and missed articles;
  3. a threshold: the one that best separates the relevant from the irrelevant scores.
The words of a document that are already hits of the watch are left out of the counts (they are
in the watch already). Words are folded and cut to a stem as the matcher folds them, so
*sankcje* and *sankcjami* count as one candidate.

Then every candidate is *tried*: the watch is copied with the change and both run on the same
texts (the copy only where its new term or phrase occurs: elsewhere nothing differs). A
suggestion reports what it gains (missed articles it now catches, false positives it drops),
what it loses (relevant matches it no longer makes, irrelevant ones it newly makes), the relevant
matches it weakens (still made, with a lower score) and its side effects on the stored articles,
with a few titles of each. Candidates that gain no more than they lose are dropped, and so is an
exclusion or a penalty that weakens more relevant matches than the false positives it drops:
it fits the examples at hand, not a cause (on the development set, "years" and "with the", in 3
of 8 false positives and 25 of 305 relevant articles, each dropped two false positives and
flipped no relevant match, but weakened 5 and 9). Two of a kind that change exactly the same articles
are shown once.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipelines.labelled_export import article_key, half_of
from pipelines.models import Article
from pipelines.queries import judged_matches, missed_reports
from pipelines.watch import Document, Matcher, Watch
from pipelines.watch.evaluate import labelled_examples, read_example
from pipelines.watch.expr import And, AtLeast, Group, Lead, Near, Not, Or, Phrase, Within, phrase_group
from pipelines.watch.inflect import MIN_STEM, stems_of
from pipelines.watch.model import Exclusion, Rule, TermGroup
from pipelines.watch.normalize import script_of, words_with_originals
from pipelines.watch.terms import TermSpec, parse_term

DEFAULT_ARTICLES = 1000     # unlabelled stored articles re-matched for side effects (the newest)
MAX_LABELLED = 5000         # newest verdicts / missed reports read, each
MIN_SUPPORT = 2             # a candidate term is in at least this many of the missed articles
# ... and a phrase to exclude or penalise in at least this many false positives: with two, any
# everyday word the two happen to share and no relevant article holds ("period", "direct") looked
# perfect (seen on the development set's tuning split, 4 false positives)
MIN_FALSE_POSITIVE_SUPPORT = 3
# A group whose terms (in scripts with capitals) are at least this share capitalised lists names.
# Not more: Polish, Russian, German and French write a country's adjective in lower case
# (rosyjski, российский, russisch, russe), so the bundled watch's country groups are 0.53 and 0.68
# capitalised, its lists of names 0.94-1.00; its vocabulary 0.00-0.44 (German nouns, acronyms,
# the names in "Pakistan Stream" or "Taliban").
NAME_GROUP_SHARE = 0.5
MAX_BACKGROUND_SHARE = 0.1  # ... and in at most this share of the articles the watch does not want
TERM_CANDIDATES = 15        # candidates tried, each (trying is the costly part)
PHRASE_CANDIDATES = 8       # false-positive phrases tried, each as an exclusion and as a penalty
THRESHOLD_CANDIDATES = 20
SHOWN = 3                   # titles shown per list
_BREAK = re.compile(r"[^\w\s'’\-]+")  # punctuation other than apostrophes and hyphens ends a phrase
_MASK = "|"                 # put over a hit of the watch, so no phrase spans it


@dataclass
class Example:
    ref: str                 # where to look it up: "match 12", "missed 3", "article 40"
    title: str
    document: Document
    label: bool | None       # True: relevant or reported missed; False: irrelevant; None: not judged


@dataclass
class Evidence:
    watch: str
    relevant: list[Example]
    irrelevant: list[Example]
    missed: list[Example]
    stored: list[Example]    # unlabelled, the newest ``articles``
    stored_total: int        # unlabelled stored articles in all
    examples_dir: str | None = None  # the folder of labelled examples, when the evidence came from one
    half: str | None = None          # only the verdicts of this half (labelled_export.HALVES), when asked

    @property
    def empty(self) -> bool:
        return not (self.relevant or self.irrelevant or self.missed)


def _document(title: str | None, text: str | None, language: str | None) -> Document:
    return Document(title or "", text or "", language)


def load_evidence(session: Session, watch: str, articles: int = DEFAULT_ARTICLES, half: str | None = None) -> Evidence:
    """The verdicts and missed reports of ``watch`` and the newest ``articles`` unlabelled articles.
    ``half`` ("tuning" or "heldout"): only the labelled articles of that half, as ``watch export``
    splits them; the other half's are left out of the side effects too, so a suggestion never
    shows them."""
    relevant, irrelevant, labelled_articles = [], [], set()
    for match_id, verdict, article in judged_matches(session, watch, 2 * MAX_LABELLED):
        labelled_articles.add(article.id)
        if half and half_of(article_key(article.canonical_url, None, article.text)) != half:
            continue
        good = verdict.verdict == "relevant"
        example = Example(f"match {match_id}", article.title or "", _document(article.title, article.text,
                                                                               article.language), good)
        (relevant if good else irrelevant).append(example)
    missed = []
    for row, canonical_url in missed_reports(session, watch, MAX_LABELLED):
        if row.article_id:
            labelled_articles.add(row.article_id)
        if half and half_of(article_key(canonical_url, row.url, row.text)) != half:
            continue
        missed.append(Example(f"missed {row.id}", row.title or "", _document(row.title, row.text, row.language), True))
    stored = []
    # the newest articles, skipping the labelled ones (fetched in one go: at most that many more)
    for article in session.scalars(select(Article).where(Article.text_pruned_at.is_(None)).order_by(Article.id.desc())
                                   .limit(articles + len(labelled_articles))):
        if article.id not in labelled_articles and len(stored) < articles:
            stored.append(Example(f"article {article.id}", article.title or "",
                                  _document(article.title, article.text, article.language), None))
    total = session.scalar(select(func.count()).select_from(Article).where(Article.text_pruned_at.is_(None))) or 0
    return Evidence(watch, relevant[:MAX_LABELLED], irrelevant[:MAX_LABELLED], missed, stored,
                    max(total - len(labelled_articles), len(stored)), half=half)


def load_example_evidence(watch: Watch, directory) -> Evidence:
    """The labelled examples under ``directory`` (relevant/*.txt, irrelevant/*.txt) as evidence:
    a relevant example the watch misses is a missed article, one it fires on a relevant match."""
    matcher = Matcher([watch])
    relevant, irrelevant, missed = [], [], []
    for path, is_relevant in labelled_examples(directory):
        document = read_example(path)
        label = "relevant" if is_relevant else "irrelevant"
        example = Example(f"{label}/{path.name}", document.title or path.stem, document, is_relevant)
        if not is_relevant:
            irrelevant.append(example)
        else:
            (relevant if matcher.match(document) else missed).append(example)
    return Evidence(watch.name, relevant, irrelevant, missed, [], 0, str(directory))


# ---------------------------------------------------------------------------- suggestions

@dataclass
class Suggestion:
    kind: str                # "term", "exclusion", "penalty" or "threshold"
    change: str              # the change in words
    why: str                 # the counts that proposed it
    toml: str                # what to write in the watch file
    caught: list[Example] = field(default_factory=list)   # relevant or missed, now matched
    dropped: list[Example] = field(default_factory=list)  # judged irrelevant, no longer matched
    lost: list[Example] = field(default_factory=list)     # judged relevant, no longer matched
    added: list[Example] = field(default_factory=list)    # judged irrelevant, newly matched
    newly: list[Example] = field(default_factory=list)    # unlabelled stored, newly matched
    weakened: list[Example] = field(default_factory=list)  # judged relevant, still matched, lower score
    stopped: list[Example] = field(default_factory=list)  # unlabelled stored, no longer matched
    words: int = 1           # words in the term or phrase: of two changes that do the same, the longer
                             # (more specific) one is shown, as it risks less on unjudged articles
    step: float = 0.0        # how far a threshold moves: of two that do the same, the smaller step

    @property
    def gain(self) -> int:
        return len(self.caught) + len(self.dropped)

    @property
    def net(self) -> int:
        return self.gain - len(self.lost) - len(self.added)

    def effect(self) -> frozenset:
        return frozenset(e.ref for e in (*self.caught, *self.dropped, *self.lost, *self.added,
                                         *self.newly, *self.stopped))

    def to_dict(self) -> dict:
        def listed(examples):
            return [{"ref": e.ref, "title": e.title} for e in examples]
        return {"kind": self.kind, "change": self.change, "why": self.why, "net": self.net,
                "caught": listed(self.caught), "dropped": listed(self.dropped), "lost": listed(self.lost),
                "added": listed(self.added), "weakened": listed(self.weakened), "stored_newly_matched": len(self.newly),
                "stored_no_longer_matched": len(self.stopped), "stored_newly_matched_titles":
                [e.title for e in self.newly[:SHOWN]], "stored_no_longer_matched_titles":
                [e.title for e in self.stopped[:SHOWN]], "toml": self.toml}


@dataclass
class SuggestReport:
    watch: str
    path: str
    evidence: Evidence
    already_caught: int      # missed reports the watch as it is now matches after all
    suggestions: list[Suggestion]


@dataclass
class _Candidate:
    suggestion: Suggestion
    watch: Watch | None = None       # the changed copy of the watch
    spec: TermSpec | None = None     # the term or phrase it adds: it can change nothing where absent
    threshold: float | None = None   # or only a new threshold


def suggest(watch: Watch, evidence: Evidence, limit: int = 10) -> SuggestReport:
    labelled = evidence.relevant + evidence.missed + evidence.irrelevant
    everything = labelled + evidence.stored
    eligible = _eligible_scores(watch, everything)
    fired = {key: score is not None and score >= watch.threshold for key, score in eligible.items()}
    current = Matcher([watch])
    explained = {id(e): current.explain(e.document)[0] for e in labelled}
    still_missed = [e for e in evidence.missed if not fired[id(e)]]
    still_wrong = [e for e in evidence.irrelevant if fired[id(e)]]
    positives = evidence.relevant + evidence.missed
    # what a new term must be rare in: the false positives, the judged-irrelevant articles the
    # watch rightly leaves alone, and the stored articles it does not match
    unwanted_stored = [e for e in evidence.irrelevant + evidence.stored if not fired[id(e)]]

    phrases = {id(e): _phrases(e.document, explained[id(e)].hits if id(e) in explained else ())
               for e in everything}
    candidates: list[_Candidate] = []
    candidates += _term_candidates(watch, still_missed, still_wrong + unwanted_stored, phrases)
    candidates += _phrase_candidates(watch, still_wrong, positives, phrases, explained)
    candidates += _threshold_candidates(watch, labelled, explained)
    tried = _try(candidates, everything, fired, eligible)
    best_threshold = sorted((s for s in tried if s.kind == "threshold"), key=_rank)[:1]
    kept, seen = [], set()
    for suggestion in sorted([s for s in tried if s.kind != "threshold"] + best_threshold, key=_rank):
        # two changes of one kind with the same effect are one choice (an exclusion and a
        # threshold with the same effect are two: the analyst picks)
        if suggestion.net <= 0 or len(suggestion.weakened) > len(suggestion.dropped) \
                or (suggestion.kind, suggestion.effect()) in seen:
            continue
        seen.add((suggestion.kind, suggestion.effect()))
        kept.append(suggestion)
    return SuggestReport(watch.name, watch.path, evidence, len(evidence.missed) - len(still_missed), kept[:limit])


def _rank(s: Suggestion):
    # most net gain first; then the fewest changes to articles nobody judged, then the most specific
    # term, or the threshold nearest the current one (5 and 9.5 catching the same article: 9.5)
    return (-s.net, len(s.newly) + len(s.stopped), -s.words, s.step, s.change)


def _eligible_scores(watch: Watch, examples: list[Example]) -> dict[int, float | None]:
    """Each example's score when the watch's required rules hold on it, else None: the watch
    fires where that score reaches its threshold. Matching once with threshold 0 gives the
    answer for every threshold (the score does not depend on it)."""
    zero = Matcher([replace(watch, threshold=0.0, _members={})])
    scores = {}
    for example in examples:
        result = zero.match(example.document)
        scores[id(example)] = result[0].score if result else None
    return scores


def _present(specs: list[TermSpec], examples: list[Example]) -> dict[int, set]:
    """Which of the terms each example holds (keys of ``TermSpec.key``), found by the matcher
    itself: a probe watch with one group per term."""
    distinct = list({spec.key: spec for spec in specs}.values())
    if not distinct:
        return {id(e): set() for e in examples}
    groups = {f"t{i}": TermGroup(f"t{i}", f"t{i}", (spec,)) for i, spec in enumerate(distinct)}
    probe = Matcher([Watch("probe", "probe", 0.0, 1.0, groups, [Rule("any", Group("t0"), "t0", weight=0.0)], [])])
    found = {}
    for example in examples:
        hits = probe.explain(example.document)[0].hits
        found[id(example)] = {distinct[int(h.group[1:])].key for h in hits}
    return found


def _try(candidates: list[_Candidate], examples: list[Example], fired: dict[int, bool],
         eligible: dict[int, float | None]) -> list[Suggestion]:
    """Run each changed copy of the watch where it can differ: a copy that adds a term or a
    phrase only on the examples holding it (elsewhere its hits, and so its verdict, are the
    watch's own); a new threshold is arithmetic on the eligible scores."""
    present = _present([c.spec for c in candidates if c.spec is not None], examples)
    for candidate in candidates:
        suggestion = candidate.suggestion
        if candidate.threshold is not None:
            now = {id(e): eligible[id(e)] is not None and eligible[id(e)] >= candidate.threshold for e in examples}
            affected = examples
        else:
            matcher = Matcher([candidate.watch])
            affected = [e for e in examples if candidate.spec.key in present[id(e)]]
            results = {id(e): matcher.match(e.document) for e in affected}
            now = {key: bool(result) for key, result in results.items()}
        for example in affected:
            was = fired[id(example)]
            if now[id(example)] == was:
                # a relevant match kept with less evidence: what an exclusion costs on articles
                # like it that had less to spare (a threshold moves no score, a term only adds)
                if was and example.label and candidate.threshold is None \
                        and results[id(example)][0].score < eligible[id(example)]:
                    suggestion.weakened.append(example)
                continue
            if example.label is None:
                (suggestion.stopped if was else suggestion.newly).append(example)
            elif example.label:
                (suggestion.lost if was else suggestion.caught).append(example)
            else:
                (suggestion.dropped if was else suggestion.added).append(example)
    return [c.suggestion for c in candidates]


# ---------------------------------------------------------------------------- counting phrases

def _key(word: str) -> str:
    """The shortest stem of a folded word (no dictionary): one key for its inflected forms."""
    return min((s.text for s in stems_of(word)), key=len)


def _usable(word: str) -> bool:
    script = script_of(word)
    # Han text has no spaces (a "word" is a clause); 'other' scripts are never stemmed
    return script in ("latin", "cyrillic", "arabic", "devanagari") and len(word) >= MIN_STEM[script] \
        and not word.isdigit()


def _phrases(document: Document, hits) -> dict[tuple, str]:
    """The words and two-word phrases of a document, outside the watch's own hits: key -> the
    form as written. A phrase never spans punctuation (a term's words may not) or a hit."""
    found: dict[tuple, str] = {}
    for name, text in (("title", document.title), ("text", document.text)):
        chars = list(text)
        for hit in hits:
            if hit.field == name:
                chars[hit.start:hit.end] = _MASK * (hit.end - hit.start)
        for chunk in _BREAK.split("".join(chars).replace(_MASK, ".")):
            words = [(folded, original) for folded, original in words_with_originals(chunk)]
            for i, (folded, original) in enumerate(words):
                if _usable(folded):
                    found.setdefault((_key(folded),), original)
                if i + 1 < len(words):
                    other, other_original = words[i + 1]
                    # two-word phrases: both words of 3+ letters, one of them a usable word
                    if min(len(folded), len(other)) >= 3 and (_usable(folded) or _usable(other)):
                        found.setdefault((_key(folded) if _usable(folded) else folded,
                                          _key(other) if _usable(other) else other),
                                         f"{original} {other_original}")
    return found


def _document_frequency(examples: list[Example], phrases: dict) -> tuple[Counter, dict[tuple, Counter]]:
    counts: Counter = Counter()
    forms: dict[tuple, Counter] = {}
    for example in examples:
        for key, form in phrases[id(example)].items():
            counts[key] += 1
            forms.setdefault(key, Counter())[form] += 1
    return counts, forms


def _ranked_phrases(examples: list[Example], others: list[Example], phrases: dict,
                    admits: Callable[[int, int], bool], support: int) -> tuple[list[tuple], dict, Counter, Counter]:
    """The phrases found in at least ``support`` of ``examples`` that ``admits(n in examples, n in
    others)`` keeps, commonest first and rarest among ``others`` next; with their written forms and
    both document counts."""
    counts, forms = _document_frequency(examples, phrases)
    background, _ = _document_frequency(others, phrases)
    ranked = sorted((key for key, n in counts.items() if n >= support and admits(n, background[key])),
                    key=lambda k: (-counts[k], background[k], -len(k), k))
    return ranked, forms, counts, background


def _form(forms: Counter) -> str:
    """The form to write in the watch: the commonest, lower case when the word is also written
    so (a capital at the start of a sentence is not part of the word)."""
    lowered = Counter()
    for form, n in forms.items():
        lowered[form.lower() if form.lower() in forms else form] += n
    return max(lowered.items(), key=lambda item: (item[1], -len(item[0])))[0]


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _already_in_watch(watch: Watch, text: str) -> bool:
    spec = parse_term(text)
    return any(term.key == spec.key for group in watch.groups.values() for term in group.terms)


def _quote(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


# ---------------------------------------------------------------------------- terms

def _term_candidates(watch: Watch, missed: list[Example], unwanted: list[Example],
                     phrases: dict) -> list[_Candidate]:
    if not missed:
        return []
    # all of the missed articles when there are fewer than MIN_SUPPORT: one report is worth a look
    ranked, forms, in_missed, in_unwanted = _ranked_phrases(
        missed, unwanted, phrases, lambda n, background: _share(background, len(unwanted)) <= MAX_BACKGROUND_SHARE,
        min(MIN_SUPPORT, len(missed)))
    terms = []
    for key in ranked:
        text = _form(forms[key])
        try:
            if not _already_in_watch(watch, text):
                terms.append((key, text, parse_term(text)))
        except ValueError:
            continue
        if len(terms) == TERM_CANDIDATES:
            break
    placed = _place_terms(watch, [spec for _, _, spec in terms], missed)
    result = []
    for (key, text, spec), (name, also) in zip(terms, placed):
        if name is None:  # it makes no missed article fire, in any group
            continue
        languages = sorted({e.document.language or "?" for e in missed if key in phrases[id(e)]})
        why = (f"in {in_missed[key]} of {len(missed)} missed articles ({', '.join(languages)}); in "
               f"{in_unwanted[key]} of {len(unwanted)} articles the watch does not match or "
               f"were judged irrelevant")
        if also:
            why += f"; would catch as many in groups {', '.join(repr(a) for a in also[:4])}" + (" …" if len(also) > 4 else "")
        group = watch.groups[name]
        toml = f"# in [groups.{name}], add to terms = [...]:\n{_quote(text)},"
        result.append(_Candidate(Suggestion("term", f"add the term {_quote(text)} to group '{name}' ({group.label})",
                                            why, toml, words=len(key)), _with_term(watch, name, spec), spec))
    return result


def _with_term(watch: Watch, name: str, spec) -> Watch:
    group = watch.groups[name]
    return replace(watch, groups={**watch.groups, name: replace(group, terms=group.terms + (spec,))}, _members={})


def _place_terms(watch: Watch, specs: list, missed: list[Example]) -> list[tuple]:
    """For each new term, (group, other groups as good): of the groups listing terms that the
    watch's rules ask for and that the term fits (``_fits``), the one where it makes the most
    missed articles fire (tried on the missed articles alone: cheap, and a term can only gain
    there, as it only adds hits). On a tie, the group with the most terms: a word belongs with
    many like it (the 'security' vocabulary) more often than in a short list of names. (None, [])
    when it catches none."""
    leaves = _target_groups(watch)
    if not specs or not leaves:
        return [(None, []) for _ in specs]
    present = _present(specs, missed)
    caught: Counter = Counter()
    for i, spec in enumerate(specs):
        holding = [e for e in missed if spec.key in present[id(e)]]
        for j, name in enumerate(leaves if holding else ()):
            if _fits(watch.groups[name], spec.source):
                matcher = Matcher([_with_term(watch, name, spec)])
                caught[f"{i}.{j}"] = sum(bool(matcher.match(e.document)) for e in holding)
    placed = []
    for i in range(len(specs)):
        scored = sorted(((caught[f"{i}.{j}"], len(watch.groups[name].terms), -j, name)
                         for j, name in enumerate(leaves)), reverse=True)
        best = scored[0][0]
        tied = [name for n, _, _, name in scored if n == best]
        placed.append((tied[0], tied[1:]) if best else (None, []))
    return placed


def _fits(group: TermGroup, text: str) -> bool:
    """Whether a term written ``text`` is of the group's kind: a group of names (Russia, Putin,
    Islamabad: capitalised in the scripts that have capitals) takes only a capitalised word, as a
    name is written. Otherwise a word that only tipped a missed article over the gate that wanted a
    second name (an everyday 'energy' into 'Pakistani officials') looked like a find. Scripts without
    capitals (Arabic, Devanagari, Han) and groups of common words take any."""
    first = _first_letter(text)
    if first is None or first.lower() == first.upper():
        return True
    cased = [f for f in (_first_letter(t.source) for t in group.terms) if f and f.lower() != f.upper()]
    if not cased or sum(f.isupper() for f in cased) < NAME_GROUP_SHARE * len(cased):
        return True
    return first.isupper()


def _first_letter(text: str) -> str | None:
    return next((c for c in text if c.isalpha()), None)


def _target_groups(watch: Watch) -> list[str]:
    """The groups listing terms that the watch's rules ask for, resolved from the groups they
    name (a group's hits count for every group including it: 'context' includes 'security')."""
    leaves: list[str] = []
    for name in _positive_groups(watch):
        for leaf in _leaves(watch, name):
            if leaf not in leaves:
                leaves.append(leaf)
    return leaves


def _positive_groups(watch: Watch) -> list[str]:
    """Groups the rules that add to the score or are required ask for (not under NOT, not in a
    penalty rule: putting a term there would only lower the score)."""
    found: list[str] = []

    def walk(node, positive: bool):
        if isinstance(node, Group):
            group = watch.groups.get(node.name)
            if positive and group is not None and not group.hidden and node.name not in found:
                found.append(node.name)
        elif isinstance(node, Not):
            walk(node.item, not positive)
        elif isinstance(node, AtLeast):
            walk(node.item, positive)
        elif isinstance(node, (And, Or, Within, Near, Lead)):
            for item in node.items:
                walk(item, positive)

    for rule in watch.rules:
        if rule.weight >= 0:
            walk(rule.expr, True)
    if not found:  # a watch whose rules only name inline phrases: its weighted groups
        found = [n for n, g in watch.groups.items() if not g.hidden and g.weight > 0]
    return found


def _leaves(watch: Watch, name: str) -> list[str]:
    """``name`` and the groups it includes, depth first, that list terms of their own."""
    found, stack, seen = [], [name], set()
    while stack:
        current = stack.pop(0)
        if current in seen:
            continue
        seen.add(current)
        group = watch.groups[current]
        if group.terms and not group.hidden:
            found.append(current)
        stack[:0] = list(group.include)
    return found


# ---------------------------------------------------------------------------- exclusions, penalties

def _phrase_candidates(watch: Watch, wrong: list[Example], positives: list[Example],
                       phrases: dict, explained: dict) -> list[_Candidate]:
    if not wrong:
        return []
    ranked, forms, in_wrong, in_positive = _ranked_phrases(
        wrong, positives, phrases, lambda n, background: _share(background, len(positives)) < _share(n, len(wrong)),
        MIN_FALSE_POSITIVE_SUPPORT)
    # the most telling first: the share of the false positives holding the phrase over its share of
    # the relevant articles (one added to that count and its total, so a phrase no relevant article
    # holds is not infinitely telling).
    # Commonest first tried only everyday words ("with", "this", "between"): in 3 of 8 false
    # positives, any function word is.
    ranked.sort(key=lambda k: (-_share(in_wrong[k], len(wrong)) / _share(in_positive[k] + 1, len(positives) + 1),
                               -in_wrong[k], -len(k), k))
    result = []
    for key in ranked[:PHRASE_CANDIDATES]:
        text = _form(forms[key])
        try:
            spec = parse_term(text)
        except ValueError:
            continue
        why = (f"in {in_wrong[key]} of {len(wrong)} matches judged irrelevant; in {in_positive[key]} of "
               f"{len(positives)} relevant or missed articles")
        # an exclusion: the phrase cancels every hit in its paragraph (a sidebar, an aside)
        number = len(watch.exclusions) + 1
        hidden = f"~exclusion {number}"  # as the loader names a context list's group
        name = f"suggested: {text}"
        excluded = replace(watch, groups={**watch.groups, hidden: TermGroup(hidden, name, (spec,), hidden=True)},
                           exclusions=[*watch.exclusions, Exclusion(name, Group(hidden), text, (), "paragraph")],
                           _members={})
        result.append(_Candidate(Suggestion(
            "exclusion", f"exclude the paragraphs that say {_quote(text)}", why,
            f"[[exclusions]]\nname = {_quote(name)}\ncontext = [{_quote(text)}]\nscope = \"paragraph\"",
            words=len(key)), excluded, spec))
        # a penalty: the phrase anywhere lowers the score, by just enough to drop these matches
        scores = [explained[id(e)].score for e in wrong if key in phrases[id(e)]]
        weight = -(math.floor(max(scores) - watch.threshold) + 1)
        inline = phrase_group(text)
        penalised = replace(watch, groups={**watch.groups, inline: TermGroup(inline, text, (spec,), hidden=True)},
                            rules=[*watch.rules, Rule(name, Phrase(text), inline, weight=float(weight))],
                            _members={})
        result.append(_Candidate(Suggestion(
            "penalty", f"lower the score by {-weight} when the article says {_quote(text)}", why,
            f"[[rules]]\nname = {_quote(name)}\nexpr = {_quote(inline)}\nweight = {weight}", words=len(key)),
            penalised, spec))
    return result


# ---------------------------------------------------------------------------- threshold

def _threshold_candidates(watch: Watch, labelled: list[Example], explained: dict) -> list[_Candidate]:
    """Thresholds at the labelled scores and just above them (on a grid of 0.5), nearest to the
    current one first; trying them says which separates the verdicts best."""
    scores = {explained[id(e)].score for e in labelled if explained[id(e)].score > 0}
    values = {round(s, 3) for s in scores} | {math.floor(2 * s) / 2 + 0.5 for s in scores}
    values.discard(watch.threshold)
    ordered = sorted(values, key=lambda t: (abs(t - watch.threshold), t))[:THRESHOLD_CANDIDATES]
    relevant = [explained[id(e)].score for e in labelled if e.label]
    irrelevant = [explained[id(e)].score for e in labelled if e.label is False]
    result = []
    for value in ordered:
        why = (f"scores of the relevant and missed articles: {_scores(relevant)}; "
               f"of the irrelevant: {_scores(irrelevant)}; threshold now {watch.threshold:g}")
        result.append(_Candidate(Suggestion("threshold", f"set the threshold to {value:g} (now {watch.threshold:g})",
                                            why, f"# in [watch]:\nthreshold = {value:g}",
                                            step=abs(value - watch.threshold)), threshold=value))
    return result


def _scores(values: list[float]) -> str:
    return ", ".join(f"{v:g}" for v in sorted(values)[:12]) + (" …" if len(values) > 12 else "") if values else "none"


# ---------------------------------------------------------------------------- text

def format_report(report: SuggestReport, articles: int) -> str:
    ev = report.evidence
    if ev.examples_dir:
        lines = [(f"Suggestions for {report.watch} from the examples in {ev.examples_dir}: "
                  f"{len(ev.relevant) + len(ev.missed)} relevant ({len(ev.missed)} of them missed by the watch) "
                  f"and {len(ev.irrelevant)} irrelevant."),
                 "No stored articles are re-matched: the side effects are on these examples only."]
    else:
        of = f" of the {ev.half} half" if ev.half else ""
        lines = [(f"Suggestions for {report.watch} from {len(ev.relevant)} relevant and {len(ev.irrelevant)} "
                  f"irrelevant verdicts and {len(ev.missed)} missed-article reports{of} "
                  f"({report.already_caught} of them matched by the watch as it is now)."),
                 (f"Side effects are counted on the newest {len(ev.stored)} of {ev.stored_total} unlabelled stored "
                  f"articles (at most {articles}: --articles to change).")]
    lines.append(f"Nothing is written: to accept a suggestion, edit {report.path}.")
    if not report.suggestions:
        lines.append("")
        lines.append("No change found that gains more than it loses on this evidence.")
    for number, s in enumerate(report.suggestions, 1):
        lines += ["", f"{number}. {s.change}   (net {s.net:+d})", f"   why: {s.why}"]
        for label, examples in (("catches", s.caught), ("drops false positives", s.dropped),
                                ("LOSES relevant matches", s.lost), ("newly matches irrelevant", s.added),
                                ("weakens relevant matches (lower score, still matched)", s.weakened)):
            if examples:
                lines.append(f"   {label}: {len(examples)}: {_titles(examples)}")
        lines.append(f"   stored articles: {len(s.newly)} newly matched{_some(s.newly)}, "
                     f"{len(s.stopped)} no longer matched{_some(s.stopped)}")
        lines.append("   write in the watch file:")
        lines += [f"     {line}" for line in s.toml.splitlines()]
    return "\n".join(lines)


def _titles(examples: list[Example]) -> str:
    shown = "; ".join(f"{_quote(e.title[:80] or '(no title)')} ({e.ref})" for e in examples[:SHOWN])
    return shown + (f"; … {len(examples) - SHOWN} more" if len(examples) > SHOWN else "")


def _some(examples: list[Example]) -> str:
    return f" ({_titles(examples)})" if examples else ""
