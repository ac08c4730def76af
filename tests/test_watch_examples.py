"""evaluate_examples on a small hand-made set, and the bundled watch on its labelled examples."""
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.cli import main
from crawler.config import WATCHLISTS_DIR
from pipelines.watch import evaluate_examples, load_watch, parse_watch
from pipelines.watch.evaluate import lead, read_example

WATCH_FILE = WATCHLISTS_DIR / "russia_pakistan_security.toml"
EXAMPLES = WATCHLISTS_DIR / "examples" / "russia_pakistan_security"


def test_evaluate_examples_counts_and_lists_mistakes(tmp_path):
    watch = parse_watch('[watch]\nname = "a"\n[groups.a]\nterms = ["alpha"]\n[[rules]]\nexpr = "a"', "a.toml")
    (tmp_path / "relevant").mkdir()
    (tmp_path / "irrelevant").mkdir()
    (tmp_path / "relevant" / "hit.txt").write_text("# Alpha news\nbody", encoding="utf-8")
    (tmp_path / "relevant" / "miss.txt").write_text("nothing", encoding="utf-8")
    (tmp_path / "irrelevant" / "false_alarm.en.txt").write_text("alpha again", encoding="utf-8")
    (tmp_path / "irrelevant" / "quiet.txt").write_text("beta", encoding="utf-8")
    report = evaluate_examples(watch, tmp_path)
    assert (report.tp, report.fp, report.fn, report.tn) == (1, 1, 1, 1)
    assert report.precision == 0.5 and report.recall == 0.5
    wrong = {Path(path).name: (expected, got) for path, expected, got, _ in report.misclassified}
    assert wrong == {"miss.txt": (True, False), "false_alarm.en.txt": (False, True)}
    assert "missed" in str(report) and "false alarm" in str(report)


def test_figures_per_language_add_up_and_are_printed(tmp_path):
    for label, name, text in (("relevant", "a.pl.txt", "Rosja i Pakistan"), ("relevant", "b.pl.txt", "nic"),
                              ("relevant", "c.de.txt", "Russland und Pakistan"),
                              ("irrelevant", "d.de.txt", "Russland und Pakistan"), ("irrelevant", "e.de.txt", "nichts")):
        (tmp_path / label).mkdir(exist_ok=True)
        (tmp_path / label / name).write_text(text, encoding="utf-8")
    watch = parse_watch('''[watch]
name = "w"
threshold = 1
[groups.r]
terms = ["Rosja", "Russland"]
[groups.p]
terms = ["Pakistan"]
[[rules]]
expr = "r AND p"
''', "w.toml")
    report = evaluate_examples(watch, tmp_path)
    assert report.by_language == {"pl": [1, 0, 1, 0], "de": [1, 1, 0, 1]}
    assert "  de: recall 1/1, false positives 1/2" in str(report) and "  pl: recall 1/2, false positives 0/0" in str(report)


def test_example_file_conventions(tmp_path):
    path = tmp_path / "07-talks.pl.txt"
    path.write_text("# Tytuł artykułu\nTreść artykułu.\n", encoding="utf-8")
    doc = read_example(path)
    assert (doc.title, doc.text, doc.language) == ("Tytuł artykułu", "Treść artykułu.", "pl")


def test_bundled_example_set_is_multilingual_and_large_enough():
    relevant = list((EXAMPLES / "relevant").glob("*.txt"))
    irrelevant = list((EXAMPLES / "irrelevant").glob("*.txt"))
    assert len(relevant) + len(irrelevant) >= 60
    assert len(irrelevant) >= (len(relevant) + len(irrelevant)) / 3
    languages = {p.name.split(".")[-2] for p in relevant + irrelevant}
    assert {"en", "pl", "ru", "ur", "de", "fr"} <= languages


def test_bundled_watch_precision_and_recall_on_its_examples():
    watch = load_watch(WATCH_FILE)
    report = evaluate_examples(watch, EXAMPLES)
    # at the time of writing: precision 1.0, recall 1.0 on 35 relevant + 27 irrelevant
    assert report.precision >= 0.95, str(report)
    assert report.recall >= 0.95, str(report)


# ------------------------------------------------------------------------------ leads

@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .\n\u0645"), max_size=400), st.integers(min_value=1, max_value=300))
def test_a_lead_is_a_prefix_no_longer_than_asked_ending_at_a_sentence_where_it_can(text, chars):
    cut = lead(text, chars)
    assert text.startswith(cut)
    assert len(cut) <= chars or cut == text
    if len(text) <= chars:
        assert cut == text
    else:
        head = text[:chars]
        end = max(head.rfind("\n"), head.rfind(". "))
        if end > chars // 2:  # a line or sentence end in the second half: the lead stops there
            assert cut.endswith(("\n", ".")) and len(cut) == end + 1
        else:
            assert cut == head


def test_watch_test_on_leads_misses_what_comes_late_and_says_so(tmp_path):
    """The same examples whole and as leads: evidence after the first N characters is not read,
    and the report says the figures are for leads."""
    watch = parse_watch('[watch]\nname = "a"\n[groups.a]\nterms = ["alpha"]\n[[rules]]\nexpr = "a"', "a.toml")
    (tmp_path / "relevant").mkdir()
    (tmp_path / "irrelevant").mkdir()
    preamble = "Nothing yet. " * 20  # 260 characters
    (tmp_path / "relevant" / "late.txt").write_text(f"# News\n{preamble}Then alpha.", encoding="utf-8")
    (tmp_path / "relevant" / "early.txt").write_text(f"# News\nAlpha first. {preamble}", encoding="utf-8")
    (tmp_path / "irrelevant" / "late.txt").write_text(f"{preamble}Then alpha.", encoding="utf-8")
    whole = evaluate_examples(watch, tmp_path)
    short = evaluate_examples(watch, tmp_path, lead_chars=150)
    assert (whole.tp, whole.fp, whole.fn) == (2, 1, 0)
    assert (short.tp, short.fp, short.fn, short.tn) == (1, 0, 1, 1)
    assert "first 150 characters" in str(short) and "characters" not in str(whole)
    runner_output = CliRunner().invoke(main, ["watch", "test", str(WATCH_FILE), "--examples", str(EXAMPLES),
                                              "--lead", "300"]).output
    assert "on each example's first 300 characters" in runner_output
    refused = CliRunner().invoke(main, ["watch", "test", str(WATCH_FILE), "--examples", str(EXAMPLES), "--lead", "5"])
    assert refused.exit_code == 2 and "--lead" in refused.output
