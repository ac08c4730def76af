"""Read watch files (TOML) into Watch objects, with errors that name the file and line."""
from __future__ import annotations

import difflib
import math
import re
import tomllib
from pathlib import Path

from ..text import TooLarge, read_at_most
from .expr import ExprError, Group, names_in, parse_expr, phrase_group, phrases_in
from .locate import find_line
from .model import Exclusion, Rule, TermGroup, Watch, WatchError
from .terms import parse_term

_WATCH_KEYS = {"name", "title", "description", "threshold", "title_boost"}
_GROUP_KEYS = {"label", "terms", "include", "weight", "cap"}
_RULE_KEYS = {"name", "expr", "weight", "cap", "required"}
_EXCLUSION_KEYS = {"name", "context", "cancels", "scope", "unless"}
# "rest of paragraph": only the hits after the context in its paragraph (a "Read more" header and
# the links after it; the teaser that ends with "Read more" keeps its own words)
SCOPES = ("sentence", "paragraph", "rest of paragraph")
_TOP_KEYS = {"watch", "groups", "rules", "exclusions"}
_NAME = re.compile(r"[^\W\d]\w*")
# Far above any real watch (the bundled one is 15 kB, nests rules 3 deep, includes 1 deep), low
# enough that a runaway file (/dev/zero) or chain cannot exhaust memory or Python's stack.
MAX_WATCH_BYTES = 1024 * 1024
MAX_INCLUDE_DEPTH = 100


def read_watch_source(path: str | Path) -> str:
    """The text of a watch file, read at most MAX_WATCH_BYTES far."""
    path = Path(path)
    try:
        data = read_at_most(path, MAX_WATCH_BYTES)
    except TooLarge:
        raise WatchError(path, None, f"watch file is larger than {MAX_WATCH_BYTES} bytes (1 MiB), the limit") from None
    except OSError as exc:
        raise WatchError(path, None, f"cannot read watch file: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WatchError(path, None, f"watch file is not UTF-8: {exc}") from exc


def load_watch(path: str | Path) -> Watch:
    return parse_watch(read_watch_source(path), path)


def load_watches(paths) -> list[Watch]:
    watches = [load_watch(p) for p in paths]
    seen: dict[str, str] = {}
    for watch in watches:
        if watch.name in seen:
            raise WatchError(watch.path, find_line(_read(watch.path), "watch", "name"),
                             f"watch name {watch.name!r} is also used by {seen[watch.name]}")
        seen[watch.name] = watch.path
    return watches


def _read(path: str) -> str:
    try:
        return read_watch_source(path)
    except WatchError:
        return ""


def parse_watch(source: str, path: str | Path = "<string>") -> Watch:
    """Parse the text of a watch file; ``path`` is only used in error messages."""
    return _Parser(source, str(path)).parse()


class _Parser:
    def __init__(self, source: str, path: str):
        self.source = source
        self.path = path

    def fail(self, message: str, table: str = "", key: str | None = None, index: int | None = None,
             needle: str | None = None):
        line = find_line(self.source, table, key, index, needle) if table else None
        raise WatchError(self.path, line, message)

    def fail_top(self, message: str, key: str):
        """An error about a top-level table or key, at its line."""
        raise WatchError(self.path, _top_line(self.source, key), message)

    def parse(self) -> Watch:
        try:
            data = tomllib.loads(self.source)
        except RecursionError:  # tomllib recurses into nested arrays and inline tables
            raise WatchError(self.path, _deep_line(self.source),
                             "TOML syntax error: arrays or inline tables nested too deeply") from None
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
            line = int(match.group(1)) if match else None
            message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            if match:
                message += f" (column {match.group(2)})"
            raise WatchError(self.path, line, f"TOML syntax error: {message}") from None
        except ValueError:  # tomllib lets int() refuse a number of over 4,300 digits
            match = re.search(r"\d{4300}", self.source)
            line = self.source.count("\n", 0, match.start()) + 1 if match else None
            raise WatchError(self.path, line, "TOML syntax error: a number of thousands of digits") from None
        for key in data:
            if key not in _TOP_KEYS:
                self.fail_top(f"unknown table {key!r}{_suggest(key, _TOP_KEYS)}; expected one of "
                              f"{', '.join(sorted(_TOP_KEYS))}", key)
        header = self.table(data, "watch", _WATCH_KEYS)
        groups = self.groups(data)
        rules = self.rules(data, groups)
        exclusions = self.exclusions(data, groups)
        if not rules:
            self.fail("a watch needs at least one [[rules]] entry", "watch")
        name = header.get("name", Path(self.path).stem)
        if not isinstance(name, str) or not name.strip():
            self.fail("watch.name must be a non-empty string", "watch", "name")
        return Watch(
            name=name.strip(),
            title=self.string(header, "title", "watch", default=name),
            description=self.string(header, "description", "watch", default=""),
            threshold=self.number(header, "threshold", "watch", default=1.0, minimum=0),
            title_boost=self.number(header, "title_boost", "watch", default=1.0, minimum=0),
            groups=groups,
            rules=rules,
            exclusions=exclusions,
            path=self.path,
        )

    # -- helpers ---------------------------------------------------------------------------
    def table(self, data: dict, name: str, allowed: set[str]) -> dict:
        table = data.get(name, {})
        if not isinstance(table, dict):
            self.fail_top(f"{name!r} must be a table ([{name}])", name)
        self.check_keys(table, allowed, name)
        return table

    def check_keys(self, table: dict, allowed: set[str], where: str, index: int | None = None):
        for key in table:
            if key not in allowed:
                self.fail(f"unknown key {key!r} in [{where}]{_suggest(key, allowed)}", where, key, index)

    def string(self, table: dict, key: str, where: str, default=None, index=None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            self.fail(f"{key} must be a string", where, key, index)
        return value

    def number(self, table: dict, key: str, where: str, default: float, minimum=None, index=None) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"{key} must be a number, not {value!r}", where, key, index)
        try:
            value = float(value)
        except OverflowError:  # an integer of more than 308 digits
            value = math.inf
        # nan and inf (TOML has both) would make every score nan or inf
        if not math.isfinite(value):
            self.fail(f"{key} must be a finite number", where, key, index)
        if minimum is not None and value < minimum:
            self.fail(f"{key} must be at least {minimum}, not {value:g}", where, key, index)
        return value

    # -- groups ----------------------------------------------------------------------------
    def groups(self, data: dict) -> dict[str, TermGroup]:
        raw_groups = data.get("groups", {})
        if not isinstance(raw_groups, dict) or not raw_groups:
            self.fail("a watch needs at least one term group ([groups.NAME] with terms = [...])", "watch")
        groups: dict[str, TermGroup] = {}
        for name, body in raw_groups.items():
            where = f"groups.{name}"
            if not _NAME.fullmatch(name):
                self.fail(f"group name {name!r} must be a word (letters, digits, _)", where)
            if not isinstance(body, dict):
                self.fail(f"group {name!r} must be a table", "groups", name)
            self.check_keys(body, _GROUP_KEYS, where)
            raw_terms = body.get("terms", [])
            include = body.get("include", [])
            if not isinstance(raw_terms, list):
                self.fail(f"terms of group {name!r} must be a list of strings", where, "terms")
            if not isinstance(include, list) or not all(isinstance(i, str) for i in include):
                self.fail(f"include of group {name!r} must be a list of group names", where, "include")
            if not raw_terms and not include:
                self.fail(f"group {name!r} has no terms (and includes no other group)", where)
            terms = []
            for raw in raw_terms:
                try:
                    terms.append(parse_term(raw))
                except ValueError as exc:
                    self.fail(f"group {name!r}: {exc}", where, "terms",
                              needle=raw if isinstance(raw, str) else None)
            groups[name] = TermGroup(
                name=name,
                label=self.string(body, "label", where, default=name),
                terms=tuple(terms),
                include=tuple(include),
                weight=self.number(body, "weight", where, default=0.0),
                cap=self.number(body, "cap", where, default=5.0, minimum=0),
            )
        for name, group in groups.items():
            for other in group.include:
                if other not in groups:
                    self.fail(f"group {name!r} includes unknown group {other!r}{_suggest(other, groups)}",
                              f"groups.{name}", "include", needle=other)
        self.check_includes(groups)
        return groups

    def check_includes(self, groups: dict[str, TermGroup]):
        """No loops, no chains deeper than MAX_INCLUDE_DEPTH. A walk with its own stack, not
        recursion: a file may hold a chain thousands of groups long."""
        depth: dict[str, int] = {}  # longest include chain below each group walked
        for start in groups:
            if start in depth:
                continue
            path, pending = [start], [iter(groups[start].include)]
            on_path = {start}
            while pending:
                other = next(pending[-1], None)
                if other is None:  # every include of path[-1] walked
                    name = path.pop()
                    pending.pop()
                    on_path.discard(name)
                    depth[name] = max((depth[o] + 1 for o in groups[name].include), default=0)
                    if depth[name] > MAX_INCLUDE_DEPTH:
                        self.fail(f"group {name!r} includes groups more than {MAX_INCLUDE_DEPTH} levels deep",
                                  f"groups.{name}", "include")
                elif other in on_path:
                    loop = path[path.index(other):] + [other]
                    if len(loop) > 6:  # the message stays one short line
                        loop = loop[:3] + [f"… ({len(loop) - 5} more)"] + loop[-2:]
                    self.fail(f"groups include each other in a loop: {' -> '.join(loop)}",
                              f"groups.{path[-1]}", "include", needle=other)
                elif other not in depth:
                    path.append(other)
                    on_path.add(other)
                    pending.append(iter(groups[other].include))

    def add_inline_phrases(self, node, groups: dict[str, TermGroup], where: str, key: str, index: int):
        for text in phrases_in(node):
            name = phrase_group(text)
            if name not in groups:
                try:
                    groups[name] = TermGroup(name, text, (parse_term(text),), hidden=True)
                except ValueError as exc:
                    self.fail(f"in {key}: {exc}", where, key, index)

    def expression(self, text, groups, where: str, key: str, index: int):
        if not isinstance(text, str):
            self.fail(f"{key} must be a string", where, key, index)
        try:
            node = parse_expr(text)
        except ExprError as exc:
            self.fail(f"in {key} {_shorten(text)}: {exc.message}", where, key, index)
        for name in names_in(node):
            if name not in groups:
                self.fail(f"in {key}: unknown group {name!r}{_suggest(name, groups)}", where, key, index)
        self.add_inline_phrases(node, groups, where, key, index)
        return node

    # -- rules -----------------------------------------------------------------------------
    def rules(self, data: dict, groups: dict[str, TermGroup]) -> list[Rule]:
        raw_rules = data.get("rules", [])
        if not isinstance(raw_rules, list):
            self.fail_top("rules must be an array of tables ([[rules]])", "rules")
        rules = []
        names = set()
        for i, body in enumerate(raw_rules):
            if not isinstance(body, dict):
                self.fail_top(f"rule #{i + 1} must be a table ([[rules]])", "rules")
            self.check_keys(body, _RULE_KEYS, "rules", i)
            if "expr" not in body:
                self.fail(f"rule #{i + 1} has no expr", "rules", None, i)
            name = self.string(body, "name", "rules", default=f"rule {i + 1}", index=i)
            if name in names:
                self.fail(f"two rules are named {name!r}", "rules", "name", i)
            names.add(name)
            node = self.expression(body["expr"], groups, "rules", "expr", i)
            required = body.get("required", False)
            if not isinstance(required, bool):
                self.fail("required must be true or false", "rules", "required", i)
            rules.append(Rule(
                name=name,
                expr=node,
                expr_text=body["expr"],
                weight=self.number(body, "weight", "rules", default=1.0, index=i),
                cap=self.number(body, "cap", "rules", default=1.0, minimum=0, index=i),
                required=required,
            ))
        return rules

    # -- exclusions ------------------------------------------------------------------------
    def exclusions(self, data: dict, groups: dict[str, TermGroup]) -> list[Exclusion]:
        raw = data.get("exclusions", [])
        if not isinstance(raw, list):
            self.fail_top("exclusions must be an array of tables ([[exclusions]])", "exclusions")
        result = []
        for i, body in enumerate(raw):
            if not isinstance(body, dict):
                self.fail_top(f"exclusion #{i + 1} must be a table ([[exclusions]])", "exclusions")
            self.check_keys(body, _EXCLUSION_KEYS, "exclusions", i)
            name = self.string(body, "name", "exclusions", default=f"exclusion {i + 1}", index=i)
            context = body.get("context")
            if isinstance(context, list):
                # a plain list of terms: a hidden group of its own
                group_name = f"~exclusion {i + 1}"  # hidden; '~' cannot start a group name
                terms = []
                for raw_term in context:
                    try:
                        terms.append(parse_term(raw_term))
                    except ValueError as exc:
                        self.fail(f"exclusion {name!r}: {exc}", "exclusions", "context", i,
                                  needle=raw_term if isinstance(raw_term, str) else None)
                if not terms:
                    self.fail(f"exclusion {name!r} has an empty context", "exclusions", "context", i)
                groups[group_name] = TermGroup(group_name, name, tuple(terms), hidden=True)
                node, text = Group(group_name), " OR ".join(context)
            elif isinstance(context, str):
                node = self.expression(context, groups, "exclusions", "context", i)
                text = context
            else:
                self.fail(f"exclusion {name!r} needs context = [terms] or an expression string",
                          "exclusions", "context" if "context" in body else None, i)
            cancels = body.get("cancels", [])
            if not isinstance(cancels, list) or not all(isinstance(c, str) for c in cancels):
                self.fail("cancels must be a list of group names", "exclusions", "cancels", i)
            for group in cancels:
                if group not in groups:
                    self.fail(f"exclusion {name!r} cancels unknown group {group!r}{_suggest(group, groups)}",
                              "exclusions", "cancels", i, needle=group)
            scope = body.get("scope", "sentence")
            words = 0
            if isinstance(scope, int) and not isinstance(scope, bool):
                if scope < 1:
                    self.fail("scope in words must be at least 1", "exclusions", "scope", i)
                scope, words = "words", scope
            elif scope not in SCOPES:
                self.fail(f"scope must be \"sentence\", \"paragraph\", \"rest of paragraph\" or a number of "
                          f"words, not {scope!r}", "exclusions", "scope", i)
            unless, unless_text = None, ""
            if "unless" in body:
                if not isinstance(body["unless"], str):
                    self.fail(f"exclusion {name!r}: unless must be an expression string", "exclusions", "unless", i)
                unless_text = body["unless"]
                unless = self.expression(unless_text, groups, "exclusions", "unless", i)
            result.append(Exclusion(name, node, text, tuple(cancels), scope, words, unless, unless_text))
        return result


def _top_line(source: str, key: str) -> int | None:
    """The line of a top-level ``[key]``, ``[[key]]`` or ``key = …``."""
    line = find_line(source, key) or find_line(source, key, index=0)
    pattern = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=")
    return line or next((n for n, text in enumerate(source.splitlines(), 1) if pattern.match(text)), None)


def _deep_line(source: str, limit: int = 100) -> int | None:
    """The line where brackets first open more than ``limit`` deep (strings not told apart:
    only used to point at the line once tomllib has overflowed the stack)."""
    depth = 0
    for number, line in enumerate(source.splitlines(), 1):
        for char in line:
            depth += 1 if char in "[{" else -1 if char in "]}" else 0
            if depth > limit:
                return number
    return None


def _shorten(text: str, limit: int = 80) -> str:
    """An expression quoted in an error message: a one-line message stays short."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _suggest(name: str, choices) -> str:
    close = difflib.get_close_matches(name, [c for c in choices if not c.startswith(("~", '"'))], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
