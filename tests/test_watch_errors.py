"""A bad watch file is reported with its path, the line of the problem and what is wrong."""
import pytest

from pipelines.watch import WatchError, load_watch, load_watches, parse_watch
from pipelines.watch.expr import MAX_DEPTH, MAX_NUMBER
from pipelines.watch.loader import MAX_INCLUDE_DEPTH, MAX_WATCH_BYTES

GOOD = """\
[watch]
name = "w"
threshold = 2

[groups.russia]
terms = ["Russia", "Moscow"]

[groups.pakistan]
terms = ["Pakistan"]

[[rules]]
name = "both"
expr = "russia AND pakistan"

[[rules]]
name = "near"
expr = "NEAR(russia, pakistan, 5)"
"""


def error_for(source: str, tmp_path) -> WatchError:
    path = tmp_path / "bad.toml"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(WatchError) as info:
        load_watch(path)
    assert info.value.path == str(path)
    assert str(info.value).startswith(f"{path}:{info.value.line}: ")
    return info.value


def line_of(source: str, needle: str, occurrence: int = 1) -> int:
    lines = [i + 1 for i, line in enumerate(source.splitlines()) if needle in line]
    return lines[occurrence - 1]


def test_good_file_loads(tmp_path):
    path = tmp_path / "good.toml"
    path.write_text(GOOD, encoding="utf-8")
    watch = load_watch(path)
    assert watch.name == "w" and watch.threshold == 2 and len(watch.rules) == 2


def test_toml_syntax_error_has_its_line(tmp_path):
    source = GOOD.replace('expr = "russia AND pakistan"', 'expr = "russia AND pakistan')
    err = error_for(source, tmp_path)
    assert err.line == line_of(source, 'expr = "russia AND pakistan')
    assert "TOML" in err.message


def test_unknown_group_in_second_rule_points_at_that_expr(tmp_path):
    source = GOOD.replace('NEAR(russia, pakistan, 5)', 'NEAR(russia, pakistn, 5)')
    err = error_for(source, tmp_path)
    assert err.line == line_of(source, "NEAR(russia, pakistn")
    assert "pakistn" in err.message and "did you mean 'pakistan'" in err.message


def test_expression_syntax_error_names_the_column(tmp_path):
    source = GOOD.replace('"russia AND pakistan"', '"russia AND (pakistan"')
    err = error_for(source, tmp_path)
    assert err.line == line_of(source, "russia AND (pakistan")
    assert "column" in err.message and "')'" in err.message


def test_bad_term_points_at_its_line(tmp_path):
    source = GOOD.replace('terms = ["Russia", "Moscow"]', 'terms = [\n  "Russia",\n  "Mo*scow",\n]')
    err = error_for(source, tmp_path)
    assert err.line == line_of(source, '"Mo*scow"')
    assert "Mo*scow" in err.message and "'*'" in err.message


def test_a_stray_at_sign_in_a_term_is_explained(tmp_path):
    err = error_for(GOOD.replace('"Moscow"', '"Moscow@Russia"'), tmp_path)
    assert "language codes" in str(err)
    assert err.line == line_of(GOOD, "Moscow")


def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    source = GOOD.replace("threshold = 2", "treshold = 2")
    err = error_for(source, tmp_path)
    assert err.line == line_of(source, "treshold")
    assert "treshold" in err.message and "threshold" in err.message


def test_wrong_type_points_at_the_key(tmp_path):
    source = GOOD.replace("threshold = 2", 'threshold = "high"')
    err = error_for(source, tmp_path)
    assert err.line == line_of(source, "threshold")
    assert "number" in err.message


def test_include_of_unknown_group(tmp_path):
    source = GOOD + '\n[groups.both]\ninclude = ["russia", "pakistan_side"]\n'
    err = error_for(source, tmp_path)
    assert err.line == line_of(source, "pakistan_side")
    assert "pakistan_side" in err.message


def test_include_loop(tmp_path):
    source = GOOD + '\n[groups.x]\ninclude = ["y"]\n\n[groups.y]\ninclude = ["x"]\n'
    err = error_for(source, tmp_path)
    assert "loop" in err.message
    assert err.line in (line_of(source, 'include = ["y"]'), line_of(source, 'include = ["x"]'))


def test_bad_exclusion_scope(tmp_path):
    source = GOOD + '\n[[exclusions]]\nname = "x"\ncontext = ["rival"]\nscope = "chapter"\n'
    err = error_for(source, tmp_path)
    assert err.line == line_of(source, 'scope = "chapter"')
    assert "chapter" in err.message


def test_bad_exclusion_unless(tmp_path):
    source = GOOD + '\n[[exclusions]]\nname = "x"\ncontext = ["rival"]\nunless = "pakistn AND russia"\n'
    err = error_for(source, tmp_path)
    assert err.line == line_of(source, 'unless = "pakistn AND russia"')
    assert "pakistn" in err.message and "pakistan" in err.message  # the unknown group, and a suggestion
    source = GOOD + '\n[[exclusions]]\nname = "x"\ncontext = ["rival"]\nunless = ["pakistan"]\n'
    err = error_for(source, tmp_path)
    assert "unless must be an expression string" in err.message


def test_group_without_terms(tmp_path):
    source = GOOD.replace('terms = ["Pakistan"]', 'terms = []')
    err = error_for(source, tmp_path)
    assert err.line == line_of(source, "[groups.pakistan]")
    assert "no terms" in err.message


def test_missing_file_and_duplicate_names(tmp_path):
    with pytest.raises(WatchError) as info:
        load_watch(tmp_path / "absent.toml")
    assert "cannot read" in info.value.message
    (tmp_path / "a.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.toml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(WatchError) as info:
        load_watches([tmp_path / "a.toml", tmp_path / "b.toml"])
    assert info.value.path.endswith("b.toml") and info.value.line == 2


def test_parse_watch_uses_the_given_name_in_errors():
    with pytest.raises(WatchError) as info:
        parse_watch("[watch]\nname = 'x'\n", "inline.toml")
    assert str(info.value).startswith("inline.toml")


# -- limits: no watch file, however hostile, gets past a WatchError --------------------------------
def with_expr(expr: str) -> str:
    return GOOD.replace('"russia AND pakistan"', f"'{expr}'")


def chain(length: int) -> str:
    """GOOD plus groups c0 -> c1 -> … -> c{length}: an include chain `length` levels deep."""
    links = "".join(f'\n[groups.c{i}]\ninclude = ["c{i + 1}"]\n' for i in range(length))
    return GOOD + links + f'\n[groups.c{length}]\nterms = ["Kremlin"]\n'


HOSTILE = {
    "250 nested parentheses": with_expr("(" * 250 + "russia" + ")" * 250),
    "NOT x 10,000": with_expr("NOT " * 10_000 + "russia"),
    "nested calls": with_expr("SENTENCE(" * 300 + "russia" + ")" * 300),
    "5,000-long include chain": chain(5000),
    "TOML arrays 5,000 deep": "x = " + "[" * 5000 + "]" * 5000 + "\n" + GOOD,
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_nesting_is_a_watch_error_with_the_limit(tmp_path, source):
    err = error_for(source, tmp_path)
    assert "deep" in err.message and err.line is not None
    assert len(str(err)) < 300, "one short line, not the whole expression"


def test_expression_depth_limit_is_named_at_its_column(tmp_path):
    err = error_for(with_expr("(" * 250 + "russia" + ")" * 250), tmp_path)
    assert err.line == line_of(with_expr("(" * 250 + "russia" + ")" * 250), "((((")
    assert f"more than {MAX_DEPTH} levels" in err.message and f"column {MAX_DEPTH + 1}" in err.message


def test_include_depth_limit_is_named(tmp_path):
    err = error_for(chain(MAX_INCLUDE_DEPTH + 1), tmp_path)
    assert f"more than {MAX_INCLUDE_DEPTH} levels deep" in err.message


def test_the_deepest_accepted_watch_loads_matches_and_explains(tmp_path):
    """Right at the limits, nothing overflows Python's stack, even called from deep in a stack."""
    import sys

    from pipelines.watch import Document, Matcher

    deep = (
        "NOT " * 5 + "(" * 15 + "SENTENCE(" * 15 + "NEAR(" * 15 + "russia" + ", pakistan, 5)" * 15
        + ")" * 15 + ")" * 15
    )
    source = chain(MAX_INCLUDE_DEPTH).replace('expr = "NEAR(russia, pakistan, 5)"', f"expr = '{deep}'")
    source = source.replace('name = "both"\nexpr = "russia AND pakistan"', 'name = "both"\nexpr = "c0 OR russia"')
    path = tmp_path / "deep.toml"
    path.write_text(source, encoding="utf-8")

    def at_depth(n):  # the matcher may run deep in Scrapy's and Twisted's call stack
        if n:
            return at_depth(n - 1)
        watch = load_watch(path)
        matcher = Matcher([watch])
        doc = Document("Kremlin talks", "Russia and Pakistan met in Moscow. The Kremlin said so.")
        return matcher.explain(doc)

    assert sys.getrecursionlimit() == 1000
    [result] = at_depth(500)
    assert result.watch == "w"


def test_numbers_in_expressions_are_bounded(tmp_path):
    err = error_for(with_expr("ATLEAST(" + "9" * 5000 + ", russia)"), tmp_path)
    assert f"at most {MAX_NUMBER}" in err.message
    err = error_for(with_expr(f"NEAR(russia, pakistan, {MAX_NUMBER + 1})"), tmp_path)
    assert "too large" in err.message


def test_a_watch_file_that_never_ends_is_refused(tmp_path):
    with pytest.raises(WatchError) as info:
        load_watch("/dev/zero")
    assert info.value.path == "/dev/zero" and f"larger than {MAX_WATCH_BYTES} bytes" in info.value.message
    big = tmp_path / "big.toml"
    big.write_text(GOOD + "#" * MAX_WATCH_BYTES, encoding="utf-8")
    with pytest.raises(WatchError) as info:
        load_watch(big)
    assert str(info.value) == f"{big}: watch file is larger than {MAX_WATCH_BYTES} bytes (1 MiB), the limit"


def test_malformed_entries_and_numbers_are_watch_errors(tmp_path):
    err = error_for(GOOD.replace("[[rules]]", "[[nope]]", 1), tmp_path)
    assert "unknown table 'nope'" in err.message and err.line == line_of(GOOD, "[[rules]]")
    err = error_for("rules = [1]\n" + GOOD.split("[[rules]]")[0], tmp_path)
    assert "rule #1 must be a table" in err.message
    err = error_for("exclusions = ['x']\n" + GOOD, tmp_path)
    assert "exclusion #1 must be a table" in err.message
    err = error_for(GOOD.replace("threshold = 2", "threshold = nan"), tmp_path)
    assert "finite" in err.message and err.line == 3
    err = error_for(GOOD.replace("threshold = 2", "threshold = " + "9" * 400), tmp_path)
    assert "finite" in err.message
    err = error_for(GOOD.replace("threshold = 2", "threshold = " + "9" * 5000), tmp_path)
    assert "TOML" in err.message


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_config_check_reports_a_hostile_watch_in_one_line(tmp_path, source):
    from click.testing import CliRunner

    from crawler.cli import main

    watch = tmp_path / "mine.toml"
    watch.write_text(source, encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n[watches]\npaths = ["mine.toml"]\n')
    result = CliRunner().invoke(main, ["--config", str(config), "config", "check"], env={},
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: bad watch: {watch}") and len(result.output.splitlines()) == 1


def test_a_long_include_loop_is_named_in_one_short_line(tmp_path):
    loop = "".join(f'\n[groups.c{i}]\ninclude = ["c{(i + 1) % 60}"]\n' for i in range(60))
    err = error_for(GOOD + loop, tmp_path)
    assert "loop: c0 -> c1 -> c2 -> … (56 more) -> c59 -> c0" in err.message and len(str(err)) < 300
