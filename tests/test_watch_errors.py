"""A bad watch file is reported with its path, the line of the problem and what is wrong."""
import pytest

from pipelines.watch import WatchError, load_watch, load_watches, parse_watch

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
