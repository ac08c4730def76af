"""`newswatch watch inflections`: the forms a dictionary (simplemma's) knows for each term's lemma,
and which of them the watch finds. The watch is written here: a French noun written to inflect,
one written exact (so its plural is missed), and a name the dictionary would take for a verb."""
import json

from click.testing import CliRunner

from crawler.cli import main
from pipelines.watch import parse_watch
from pipelines.watch.coverage import format_coverage, inflection_coverage
from tests.watch_config import config_with_watch

WATCH = """\
[watch]
name = "forms"
threshold = 1

[groups.army]
terms = ["armée", "=frégate", "Munir"]

[groups.talks]
terms = ["négociation", "négociations"]

[[rules]]
expr = "army"
"""


def test_missed_forms_are_listed_per_lemma():
    report = {t.term: t for t in inflection_coverage(parse_watch(WATCH, "<forms>"), "fr")}
    assert "armées" in report["armée"].found and report["armée"].missed == []
    assert report["=frégate"].found == ["frégate"] and "frégates" in report["=frégate"].missed
    assert "Munir" not in report  # the dictionary's "munir" is a verb: no lemma of a name
    # two forms of one lemma in a group are one entry, and what either finds counts
    assert report["négociation, négociations"].missed == []
    text = format_coverage(list(report.values()), "fr")
    assert text.splitlines()[0].startswith("fr: 3 lemmas checked, ")
    assert "army: =frégate (frégate)  misses 1 of 2: frégates" in text


def test_a_group_and_a_language_without_a_dictionary():
    watch = parse_watch(WATCH, "<forms>")
    assert [t.group for t in inflection_coverage(watch, "fr", group="talks")] == ["talks"]
    assert inflection_coverage(watch, "ru") == []  # no term in Cyrillic
    try:
        inflection_coverage(watch, "ur")
    except ValueError as exc:
        assert "no dictionary for 'ur'" in str(exc)
    else:
        raise AssertionError("ur has no dictionary here")


def test_the_command_in_text_and_json(tmp_path):
    config, _ = config_with_watch(tmp_path, "forms", WATCH, f"sqlite:///{tmp_path / 'n.db'}")
    runner = CliRunner()
    out = runner.invoke(main, ["--config", str(config), "watch", "inflections", "forms", "--language", "fr"])
    assert out.exit_code == 0, out.output
    assert "misses 1 of 2: frégates" in out.output
    out = runner.invoke(main, ["--config", str(config), "watch", "inflections", "forms", "--language", "fr",
                               "--group", "army", "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert {r["term"] for r in rows} == {"armée", "=frégate"}
    assert next(r for r in rows if r["term"] == "=frégate")["missed"] == ["frégates"]
    out = runner.invoke(main, ["--config", str(config), "watch", "inflections", "forms", "--language", "xx"])
    assert out.exit_code == 1 and "no dictionary for 'xx'" in out.output
    out = runner.invoke(main, ["--config", str(config), "watch", "inflections", "forms", "--language", "fr",
                               "--group", "nope"])
    assert out.exit_code == 1 and "has no group 'nope'" in out.output
