"""devset/embedding_trial.py: which passages of a text the trial embeds (no model needed)."""

import pytest

from tests.devset_scripts import load, needs

pytestmark = needs("embedding_trial")


@pytest.fixture(scope="module")
def trial():
    return load("embedding_trial")


def _passages(trial, title, text):
    from pipelines.watch import Matcher, load_watch
    from pipelines.watch.model import Document
    watch = load_watch(trial.WATCH)
    document = Document(title=title, text=text, language="en")
    return trial.passages(watch, document, Matcher([watch]).explain(document)[0])


def test_the_relation_passage_keeps_the_lines_naming_either_side_in_order(trial):
    lead, relation = _passages(trial, "Talks in Islamabad", "\n".join([
        "The weather was fine in the capital.",
        "Russian Defence Minister met his counterpart.",
        "Markets closed higher on Tuesday.",
        "Pakistan's army chief attended the meeting.",
        "A football match ended in a draw."]))
    assert relation == "Russian Defence Minister met his counterpart.\nPakistan's army chief attended the meeting."
    assert lead.startswith("Talks in Islamabad\nThe weather was fine")


def test_the_lead_is_cut_and_stands_in_when_neither_side_is_named(trial):
    text = "A long story about the weather and markets. " * 100
    lead, relation = _passages(trial, "Weather", text)
    assert lead == "Weather\n" + text[:trial.LEAD_CHARS].strip() and len(text) > trial.LEAD_CHARS
    assert relation == lead


def test_the_relation_passage_is_cut(trial):
    line = "Russia and Pakistan discussed security cooperation and joint exercises again."
    _, relation = _passages(trial, "", "\n".join([line] * 60))
    assert len(relation) == trial.RELATION_CHARS


def test_a_variant_on_held_out_must_be_named(trial, capsys):
    assert trial.main(["--heldout", "no-such-variant"]) == 2
    assert "--heldout VARIANT" in capsys.readouterr().out  # the usage, not a run


def test_disagreements_count_who_is_right(trial, capsys):
    import numpy as np
    labels = np.array([1, 1, 1, 0, 0, 0], dtype=float)
    rules = np.array([True, False, True, True, False, False])
    model = np.array([True, True, False, False, False, True])
    trial.disagreements("cut", np.ones(6, dtype=bool), labels, rules, model)
    out = capsys.readouterr().out.splitlines()
    assert out == ["    cut, relevant: they differ on 2; the model is right on 1, the rules on 1",
                   "    cut, hard negatives: they differ on 2; the model is right on 1, the rules on 1"]
