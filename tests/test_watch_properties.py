"""Property-based fuzzing of the watch language (Hypothesis).

Whatever text an analyst saves, ``parse_watch`` either returns a Watch or raises WatchError
(never RecursionError, KeyError, TypeError…), ``parse_expr`` either returns a tree or raises
ExprError, and a watch that loads matches and explains any document without raising.
"""
from __future__ import annotations

import math
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st

from pipelines.watch import Document, Matcher, WatchError, format_explanation, load_watch, parse_watch
from pipelines.watch.expr import And, AtLeast, ExprError, Group, Lead, Near, Not, Or, Phrase, Within, parse_expr, render
from tests.fuzz import fuzz

# -- building blocks ---------------------------------------------------------------------------
KEYWORDS = {"and", "or", "not", "sentence", "paragraph", "near", "atleast"}
GROUPS = ["russia", "pakistan", "india", "arms", "g1", "g_2", "Ü", "пакистан"]
TERMS = [
    "Russia", "Rosja", "Россия", "روس", "Moscow", "Patruszew", "Pakistan", "Islamabad", "پاکستان",
    "=Mir", "kontrterror*", "Pak-", "-Pak", "ISI", "Mi-35", "national security adviser",
    "doradca ds. bezpieczeństwa", "śmigłowiec", "Sicherheit*", "Łódź", "S-400", "x", "AB", "Ab-1c", "гос.",
    "*hubschrauber", "*abwehr*",
]
BAD_TERMS = ["a*", "*", "Mo*scow", "", "  ", "-", "=", "\u200c", "ـ", "...", "*ab", "*two words", "=*Kampf",
             "*导弹", "*Pak-"]
WORDS = st.text(st.characters(categories=["Ll", "Lu", "Lo"]), min_size=1, max_size=10)
ANY_TEXT = st.text(max_size=20)
term = st.sampled_from(TERMS) | WORDS
group_name = st.sampled_from(GROUPS) | st.text("abcxyzABZ_019", min_size=1, max_size=7).filter(
    lambda name: not name[0].isdigit() and name.lower() not in KEYWORDS)


def expr_tree(names):
    """Expression trees of the grammar (expr.py) over the given group names."""
    leaf = st.builds(Group, names) | st.builds(Phrase, term)

    def extend(children):
        items = st.lists(children, min_size=2, max_size=3).map(tuple)
        return st.one_of(
            st.builds(And, items), st.builds(Or, items), st.builds(Not, children),
            st.builds(Within, st.sampled_from(["sentence", "paragraph"]),
                      st.lists(children, min_size=1, max_size=3).map(tuple)),
            st.builds(Near, items, st.integers(0, 20)),
            st.builds(Lead, st.lists(children, min_size=1, max_size=3).map(tuple), st.integers(0, 200)),
            st.builds(AtLeast, st.integers(0, 4), children),
        )

    return st.recursive(leaf, extend, max_leaves=6)


# -- TOML rendering ----------------------------------------------------------------------------
def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    text = "".join(c if c.isprintable() and c not in '"\\' else f"\\U{ord(c):08x}" for c in value)
    return f'"{text}"'


def toml_key(key: str) -> str:
    return key if key.replace("_", "a").isascii() and key.replace("_", "a").isalnum() else toml_value(key)


def toml_table(header: str, body: dict) -> str:
    return header + "\n" + "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in body.items()) + "\n"


PLACEHOLDERS = ["g0", "g1", "g2", "g3"]  # expressions are drawn once over these, then renamed
EXPR = expr_tree(st.sampled_from(PLACEHOLDERS))
WEIGHT = st.integers(-5, 10) | st.floats(-5, 10)
CAP = st.integers(0, 10) | st.floats(0, 10)
HEADER = st.fixed_dictionaries({}, optional={
    "name": WORDS, "threshold": CAP, "title_boost": CAP, "title": ANY_TEXT, "description": ANY_TEXT})
GROUP = st.fixed_dictionaries({"terms": st.lists(term, max_size=3)},
                              optional={"weight": WEIGHT, "cap": CAP, "label": ANY_TEXT})
RULE = st.fixed_dictionaries({"expr": EXPR}, optional={"weight": WEIGHT, "cap": CAP, "required": st.booleans()})
EXCLUSION = st.fixed_dictionaries({"context": st.lists(term, min_size=1, max_size=3) | EXPR}, optional={
    "cancels": st.lists(st.sampled_from(PLACEHOLDERS), max_size=2),
    "scope": st.sampled_from(["sentence", "paragraph", "rest of paragraph"]) | st.integers(1, 30)})


def rename(node, names):
    """The expression with placeholder group gN renamed to the watch's names[N % len(names)]."""
    if isinstance(node, Group):
        return Group(names[int(node.name[1:]) % len(names)])
    if isinstance(node, (Not, AtLeast)):
        return replace(node, item=rename(node.item, names))
    if isinstance(node, (And, Or, Within, Near, Lead)):
        return replace(node, items=tuple(rename(i, names) for i in node.items))
    return node


@st.composite
def valid_watch(draw) -> dict:
    """A watch as TOML tables: random groups, forward includes, rules and exclusions, all valid."""
    names = draw(st.lists(group_name, min_size=1, max_size=4, unique=True))

    def named(body):
        for key in ("expr", "context"):
            if isinstance(body.get(key), (Group, Phrase, And, Or, Not, Within, Near, Lead, AtLeast)):
                body[key] = render(rename(body[key], names))
        if "cancels" in body:
            body["cancels"] = [names[int(p[1:]) % len(names)] for p in body["cancels"]]
        return body

    tables = {"[watch]": draw(HEADER)}
    for i, name in enumerate(names):
        body = draw(GROUP)
        later = names[i + 1:]
        if later and (not body["terms"] or draw(st.booleans())):  # a group needs terms or includes
            body["include"] = draw(st.lists(st.sampled_from(later), min_size=1, max_size=2))
        elif not body["terms"]:
            body["terms"] = ["Russia"]
        tables[f"[groups.{toml_key(name)}]"] = body
    for i in range(draw(st.integers(1, 3))):
        tables[f"[[rules]] {i}"] = named(draw(RULE))
    for i in range(draw(st.integers(0, 2))):
        tables[f"[[exclusions]] {i}"] = named(draw(EXCLUSION))
    return tables


def toml_source(tables: dict) -> str:
    return "".join(toml_table(header.split(" ")[0], body) for header, body in tables.items())


# One thing an analyst might get wrong, put into a valid watch: (table, key, value)
NUMBER = st.floats() | st.integers(-10**400, 10**400) | st.sampled_from([-1, True, "2"])
MISTAKES = st.one_of(
    st.tuples(st.just("rules"), st.just("expr"), st.one_of(
        ANY_TEXT,
        st.integers(1, 300).map(lambda n: "(" * n + "a" + ")" * n),
        st.integers(1, 300).map(lambda n: "NOT " * n + "a"),
        st.integers(1, 300).map(lambda n: "SENTENCE(" * n + "a" + ")" * n),
        st.sampled_from(["(", ")", ",", "a AND", "OR a", '"', '""', "ATLEAST(99999999999, a)", "NEAR(a, 1)",
                         "NEAR(a, b)", "LEAD(a)", "LEAD(5)", "ATLEAST(a)", "nosuchgroup", "and", "1", '"a*"']),
        st.integers(0, 10**5))),
    st.tuples(st.just("groups"), st.just("terms"), st.lists(st.sampled_from(BAD_TERMS) | ANY_TEXT | st.integers(),
                                                            min_size=1, max_size=3)),
    st.tuples(st.just("groups"), st.just("include"), st.lists(group_name | st.integers(), min_size=1, max_size=3)),
    st.tuples(st.sampled_from(["watch", "groups", "rules", "exclusions"]),
              st.sampled_from(["weight", "cap", "threshold", "title_boost", "scope", "required", "name",
                               "label", "cancels", "context", "treshold", "terms", "include"]),
              NUMBER | ANY_TEXT | st.lists(ANY_TEXT, max_size=2)),
)


@st.composite
def broken_watch(draw) -> str:
    """A valid watch with one mistake, an include loop or chain, or a top-level key gone wrong."""
    tables = draw(valid_watch())
    kind = draw(st.integers(0, 3))
    if kind == 0:  # a loop or an over-long chain of includes
        length, back = draw(st.integers(1, 200)), draw(st.booleans())
        for i in range(length):
            tables[f"[groups.c{i}]"] = {"include": [f"c{(i + 1) % length if back else i + 1}"]}
        tables[f"[groups.c{length}]"] = {"terms": ["Kremlin"]}
    elif kind == 1:  # a top-level key of the wrong type
        top = {draw(st.sampled_from(["watch", "groups", "rules", "exclusions", "extra"])):
               draw(NUMBER | ANY_TEXT | st.lists(NUMBER | ANY_TEXT, max_size=2))}
        [name] = top
        rest = {header: body for header, body in tables.items() if not header.lstrip("[").startswith(name)}
        return toml_table("", top) + toml_source(rest)
    else:
        where, key, value = draw(MISTAKES)
        header = draw(st.sampled_from([h for h in tables if h.lstrip("[").startswith(where)] or list(tables)))
        tables[header] = {**tables[header], key: value}
    return toml_source(tables)


# documents made of the watch's own words, so that hits, sentences and paragraphs occur
PIECES = TERMS + ["Rosji", "z Pakistanem", "w Islamabadzie", "Pak-Russia", "Mi-35M", "India", ". ", ".\n",
                  "\n\n", " ", ", ", "gen. ", "? ", "۔ ", "Most read", "-", "«", "»", "\u200c", "ـ"]
document = st.builds(
    Document,
    st.lists(st.sampled_from(PIECES) | WORDS, max_size=6).map(" ".join),
    st.lists(st.sampled_from(PIECES) | WORDS | ANY_TEXT, max_size=40).map(" ".join),
    st.sampled_from([None, "", "pl", "ru", "en", "ur", "de", "fr", "xx", "pl-PL", "EN"]),
)


def matches_without_raising(watch, doc):
    matcher = Matcher([watch])
    for result in matcher.explain(doc) + matcher.match(doc):
        format_explanation(result)
        assert math.isfinite(result.score)


# -- properties --------------------------------------------------------------------------------
@fuzz(150)
@given(valid_watch(), st.lists(document, min_size=1, max_size=3))
def test_a_valid_random_watch_loads_and_matches_any_document(tables, docs):
    watch = parse_watch(toml_source(tables), "fuzz.toml")
    for doc in docs:
        matches_without_raising(watch, doc)


@fuzz(300)
@given(broken_watch(), document)
def test_a_broken_watch_is_a_watch_error_in_one_line(source, doc):
    try:
        watch = parse_watch(source, "fuzz.toml")
    except WatchError as exc:
        event("rejected")
        assert str(exc).startswith("fuzz.toml") and "\n" not in str(exc) and len(str(exc)) < 400, str(exc)
        return
    event("loaded")  # some mistakes are harmless (a label of any text, an integer-valued float)
    matches_without_raising(watch, doc)


TOML_FRAGMENTS = [
    "[watch]", "[groups.a]", "[groups.b]", "[[rules]]", "[[exclusions]]", "[rules]", "[groups]", "[[groups.a]]",
    'name = "w"', "threshold = 1", "threshold = nan", "weight = inf", "cap = -1", 'terms = ["Russia", "Pakistan"]',
    'terms = ["a*", 1]', 'include = ["b"]', 'include = ["a"]', 'expr = "a AND b"', "expr = 'NEAR(a, b, 5)'",
    'expr = "NOT NOT a"', "expr = 1", 'context = ["x"]', 'context = "a"', 'cancels = ["a"]', "scope = 3",
    "rules = [1]", "exclusions = ['x']", "groups = 3", "watch = []", 'expr = "(((a"', "x = [[[[", "{", '"', "'''",
    "=", "#", "\\u0000", "required = 1",
]


@fuzz(300)
@given(st.lists(st.sampled_from(TOML_FRAGMENTS) | ANY_TEXT, max_size=25).map("\n".join) | st.text())
def test_any_text_is_a_watch_or_a_watch_error(source):
    try:
        watch = parse_watch(source, "fuzz.toml")
    except WatchError:
        return
    matches_without_raising(watch, Document("Russia and Pakistan", "Rosja i Pakistan. Russia, Pakistan."))


EXPR_TOKENS = ["(", ")", ",", "AND", "or", "NOT", "not", "SENTENCE", "paragraph", "NEAR", "ATLEAST", "a", "b_1",
               '"x"', '"Mo*scow"', '"', "0", "3", "99999999", "١٢", " ", "\t", "é", "*", "ſentence", "\n"]


@fuzz(500)
@given(st.lists(st.sampled_from(EXPR_TOKENS) | ANY_TEXT, max_size=30).map(" ".join) | st.text())
def test_any_expression_text_parses_or_says_where_it_is_wrong(text):
    try:
        node = parse_expr(text)
    except ExprError as exc:
        assert exc.column is None or 1 <= exc.column <= len(text) + 1, (exc.column, text)
        return
    assert parse_expr(render(node)) == node  # what explanations print reads back the same


@fuzz(300)
@given(expr_tree(st.sampled_from(GROUPS + ["sentenceX", "Near_2"])))
def test_rendered_expressions_read_back_the_same(node):
    assert parse_expr(render(node)) == node


BUNDLED = Path(__file__).parent.parent / "crawler" / "watchlists" / "russia_pakistan_security.toml"


@fuzz(150)
@given(st.lists(document, min_size=1, max_size=3))
def test_the_bundled_watch_explains_any_document(docs):
    for doc in docs:
        for result in _bundled().explain(doc):
            format_explanation(result)
            assert math.isfinite(result.score)


@lru_cache(maxsize=1)
def _bundled() -> Matcher:
    return Matcher([load_watch(BUNDLED)])


# -- folding keeps every word's way back to the original ----------------------------------------
FOLD_TEXT = st.text(st.sampled_from(list("aßẞsS Rußland\u0301\u064e\u0640\u00ad.-\nاور روس'’ʼмир'я")
                                    + list("सम्बन्धं")),
                    max_size=40)


@fuzz(600)
@given(FOLD_TEXT)
def test_each_folded_word_maps_back_to_the_original_characters_that_fold_to_it(text):
    """ß folds to two letters and marks, tatweel and soft hyphens to none: each folded word's
    original span, folded again, gives that word, and the spans follow each other in order."""
    from pipelines.watch.normalize import fold, words_with_originals
    previous_end = 0
    words = words_with_originals(text)
    assert [w for w, _ in words] == fold(text).padded.split()
    for word, original in words:
        assert fold(original).padded.split() == [word]
        start = text.index(original, previous_end)
        previous_end = start + len(original)


@fuzz(300)
@given(st.text(max_size=300) | st.text(st.sampled_from(list("aß\u00adмир'я’ʼاور\u064e俄罗斯😀 ")), min_size=200))
def test_the_array_fold_of_a_long_text_is_the_translate_fold(text):
    """Long non-ASCII texts are folded on an array of code points (fast), short ones by
    str.translate: both give the same characters, and the same map back to the original."""
    from pipelines.watch.normalize import _DELETED, _SHARP_S, _TABLE, _offsets, _translate_array
    folded = text.translate(_TABLE)
    assert _translate_array(text) == folded
    assert _offsets(folded) == [i for i, c in enumerate(folded) if c != _DELETED
                                for _ in range(1 + (c == _SHARP_S))]


@fuzz(200)
@given(st.text(max_size=300) | st.text(st.sampled_from(list("俄罗斯㐀䶿一鿿豈﫿 a😀\x01")), max_size=300))
def test_the_han_mask_marks_exactly_the_han_characters(text):
    from pipelines.watch.segment import _HAN_RANGES, han_mask
    table = {cp: "\x01" for low, high in _HAN_RANGES for cp in range(low, high + 1)}
    assert han_mask(text) == text.translate(table)
