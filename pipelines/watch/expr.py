"""The rule expression language: parse ``russia AND SENTENCE(pakistan, security)`` into a tree.

    expr     := or
    or       := and ("OR" and)*
    and      := unary ("AND" unary)*
    unary    := "NOT" unary | primary
    primary  := GROUP | "phrase" | "(" expr ")"
              | SENTENCE(expr, ...) | PARAGRAPH(expr, ...)   all inside one sentence / paragraph
              | NEAR(expr, expr, ..., N)                     all within N words of the first
              | ATLEAST(N, expr)                              expr found at least N times

Keywords are case-insensitive; group names are identifiers; a quoted string is an inline term
(same syntax as a group's terms). Nesting ('(', NOT, SENTENCE/PARAGRAPH/NEAR/ATLEAST) is limited
to MAX_DEPTH levels and numbers to MAX_NUMBER, so no text can push the recursive parser and
evaluator into a RecursionError.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


class ExprError(ValueError):
    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass(frozen=True)
class Group:
    name: str


@dataclass(frozen=True)
class Phrase:
    text: str


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


@dataclass(frozen=True)
class Within:
    scope: str          # "sentence" | "paragraph"
    items: tuple


@dataclass(frozen=True)
class Near:
    items: tuple
    words: int


@dataclass(frozen=True)
class Lead:
    items: tuple        # all hold on the article body's hits among the first ``words`` words
    words: int


@dataclass(frozen=True)
class AtLeast:
    count: int
    item: object


MAX_DEPTH = 50  # nesting levels; real rules use 3 or 4. Leaves 600+ frames of stack to callers
MAX_NUMBER = 1_000_000  # ATLEAST counts and NEAR distances
_CALLS = {"SENTENCE", "PARAGRAPH", "NEAR", "LEAD", "ATLEAST"}
KEYWORDS = {"AND", "OR", "NOT"} | _CALLS
_TOKEN = re.compile(r'\s*(?:(?P<string>"[^"]*")|(?P<number>\d+)|(?P<name>[^\W\d]\w*)|(?P<punct>[(),]))')


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            col = len(text) - len(text[pos:].lstrip()) + 1
            raise ExprError(f"unexpected {text[col - 1]!r} at column {col}", col)
        kind = m.lastgroup
        value = m.group(kind)
        column = m.start(kind) + 1
        if kind == "name" and value.upper() in KEYWORDS:
            kind, value = "keyword", value.upper()
        tokens.append((kind, value, column))
        pos = m.end()
    tokens.append(("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def deeper(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression nested more than {MAX_DEPTH} levels deep at column {column} "
                            "(parentheses, NOT, SENTENCE/PARAGRAPH/NEAR/LEAD/ATLEAST)", column)

    def peek(self):
        return self.tokens[self.i]

    def take(self, kind: str, value: str | None = None):
        tok = self.peek()
        if tok[0] != kind or (value is not None and tok[1] != value):
            wanted = value or kind
            found = tok[1] or "end of expression"
            raise ExprError(f"expected {wanted!r} at column {tok[2]}, found {found!r}", tok[2])
        self.i += 1
        return tok

    def parse(self):
        node = self.or_()
        tok = self.peek()
        if tok[0] != "end":
            raise ExprError(f"unexpected {tok[1]!r} at column {tok[2]} (missing AND/OR?)", tok[2])
        return node

    def or_(self):
        items = [self.and_()]
        while self.peek()[:2] == ("keyword", "OR"):
            self.i += 1
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self):
        items = [self.unary()]
        while self.peek()[:2] == ("keyword", "AND"):
            self.i += 1
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self):
        if self.peek()[:2] == ("keyword", "NOT"):
            self.deeper(self.peek()[2])
            self.i += 1
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self):
        kind, value, column = self.peek()
        if kind == "name":
            self.i += 1
            return Group(value)
        if kind == "string":
            self.i += 1
            if not value.strip('"').strip():
                raise ExprError(f"empty phrase at column {column}", column)
            return Phrase(value[1:-1])
        if (kind, value) == ("punct", "(") or (kind == "keyword" and value in _CALLS):
            self.deeper(column)
            self.i += 1
            node = self.inner(value, column)
            self.depth -= 1
            return node
        found = value or "end of expression"
        raise ExprError(f"expected a group name, a \"phrase\" or '(' at column {column}, found {found!r}", column)

    def inner(self, opener: str, column: int):
        """What follows '(' or a call's keyword, up to its closing parenthesis."""
        if opener == "(":
            node = self.or_()
            self.take("punct", ")")
            return node
        if opener in ("SENTENCE", "PARAGRAPH"):
            return Within(opener.lower(), tuple(self.arguments(opener)))
        if opener == "NEAR":
            items, words = self.operands_then_number()
            if len(items) < 2:
                raise ExprError(f"NEAR at column {column} needs at least two operands and a distance", column)
            return Near(tuple(items), words)
        if opener == "LEAD":
            items, words = self.operands_then_number()
            return Lead(tuple(items), words)
        self.take("punct", "(")  # ATLEAST
        count = self.number()
        self.take("punct", ",")
        item = self.or_()
        self.take("punct", ")")
        return AtLeast(count, item)

    def operands_then_number(self) -> tuple[list, int]:
        """``(expr, expr, ..., N)``: NEAR's and LEAD's arguments, the number last."""
        self.take("punct", "(")
        items = [self.or_()]
        while True:
            self.take("punct", ",")
            if self.peek()[0] == "number":
                words = self.number()
                self.take("punct", ")")
                return items, words
            items.append(self.or_())

    def number(self) -> int:
        _, value, column = self.take("number")
        # checked by length first: int() refuses strings of over 4,300 digits with a ValueError
        if len(value.lstrip("0")) > len(str(MAX_NUMBER)) or int(value) > MAX_NUMBER:
            raise ExprError(f"number at column {column} is too large (at most {MAX_NUMBER})", column)
        return int(value)

    def arguments(self, name: str) -> list:
        self.take("punct", "(")
        items = [self.or_()]
        while self.peek()[:2] == ("punct", ","):
            self.i += 1
            items.append(self.or_())
        self.take("punct", ")")
        return items


def parse_expr(text: str):
    """Parse a rule expression; raises ExprError with the column of the problem."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("empty expression")
    return _Parser(text).parse()


def names_in(node) -> list[str]:
    """Group names an expression refers to, in order of appearance."""
    if isinstance(node, Group):
        return [node.name]
    if isinstance(node, (And, Or, Within, Near, Lead)):
        return [n for item in node.items for n in names_in(item)]
    if isinstance(node, (Not, AtLeast)):
        return names_in(node.item)
    return []


def phrases_in(node) -> list[str]:
    if isinstance(node, Phrase):
        return [node.text]
    if isinstance(node, (And, Or, Within, Near, Lead)):
        return [p for item in node.items for p in phrases_in(item)]
    if isinstance(node, (Not, AtLeast)):
        return phrases_in(node.item)
    return []


def phrase_group(text: str) -> str:
    """The name of the hidden group an inline phrase's term is kept in: the phrase as written in
    the expression, quotes included (no group name can start with a quote)."""
    return f'"{text}"'


def render(node) -> str:
    """The expression back as text (for explanations)."""
    if isinstance(node, Group):
        return node.name
    if isinstance(node, Phrase):
        return phrase_group(node.text)
    if isinstance(node, And):
        return " AND ".join(_paren(i) for i in node.items)
    if isinstance(node, Or):
        return " OR ".join(_paren(i) for i in node.items)
    if isinstance(node, Not):
        return "NOT " + _paren(node.item)
    if isinstance(node, Within):
        return f"{node.scope.upper()}({', '.join(render(i) for i in node.items)})"
    if isinstance(node, Near):
        return f"NEAR({', '.join(render(i) for i in node.items)}, {node.words})"
    if isinstance(node, Lead):
        return f"LEAD({', '.join(render(i) for i in node.items)}, {node.words})"
    if isinstance(node, AtLeast):
        return f"ATLEAST({node.count}, {render(node.item)})"
    raise TypeError(node)


def _paren(node) -> str:
    text = render(node)
    return f"({text})" if isinstance(node, (And, Or)) else text
