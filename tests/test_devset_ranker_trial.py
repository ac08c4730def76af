"""devset/ranker_trial.py: the threshold and the fit it reports figures with."""

import numpy as np
import pytest

from tests.devset_scripts import load, needs

pytestmark = needs("ranker_trial")


@pytest.fixture(scope="module")
def trial():
    return load("ranker_trial")


def test_the_threshold_lets_through_at_most_the_negatives_allowed(trial):
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.95, 0.5])
    y = np.array([0, 0, 0, 0, 1, 1])
    for allowed in range(5):
        cut = trial.threshold_for(p, y, allowed)
        assert int(((p >= cut) & (y == 0)).sum()) == allowed
    assert trial.threshold_for(p, y, 0) > 0.9  # none through: above the highest negative


def test_the_fit_separates_what_one_feature_separates(trial):
    rng = np.random.default_rng(1)
    signal = np.r_[rng.normal(2, 0.5, 40), rng.normal(-2, 0.5, 40)]
    y = np.r_[np.ones(40), np.zeros(40)]
    x = np.c_[np.ones(80), signal, rng.normal(0, 1, 80)]  # bias, the signal, noise
    w = trial.fit(x, y)
    assert w[1] > 1 and abs(w[2]) < w[1] / 4
    assert ((trial.probability(x, w) >= 0.5) == (y == 1)).all()


def _explained(trial, text):
    """The bundled watch, its result on an English text, and the features the trial reads from it."""
    from pipelines.watch import Matcher, load_watch
    from pipelines.watch.model import Document
    watch = load_watch(trial.WATCH)
    result = Matcher([watch]).explain(Document(text=text, title="", language="en"))[0]
    return watch, result, trial.features(watch, result)


def test_features_read_the_matchers_explanation(trial):
    watch, result, features = _explained(trial, (
        "Russia and Pakistan signed a defence cooperation agreement in Islamabad. "
        "The two countries will hold joint military exercises, the Russian defence minister said."))
    assert features["score"] == result.score > 0
    assert features["hits:russia"] > 0 and features["hits:pakistan"] > 0
    assert all(features[f"gate:{r.name}"] in (0.0, 1.0) for r in watch.rules if r.required)
    assert any(k.startswith("points:") for k in features)


def test_a_failed_gate_reads_as_zero(trial):
    watch, result, features = _explained(trial, (
        "Russia and Pakistan signed a wheat trade agreement in Islamabad. "
        "Pakistan will buy more Russian wheat, and Russia will import Pakistani rice and fruit."))
    gates = {r.name: features[f"gate:{r.name}"] for r in watch.rules if r.required}
    assert not result.fired
    assert 0.0 in gates.values() and 1.0 in gates.values()  # the pair gates hold, a security gate does not


def test_words_mark_each_folded_word_and_pair_once(trial):
    present = trial.words("Moscow and Islamabad, Moscow")
    assert present.sum() == 3 + 3  # moscow, and, islamabad; three pairs (one repeats a word)
    assert (present == trial.words("MOSCOW and islamabad moscow")).all()  # folded as the matcher folds


def test_structure_says_where_and_with_whom_the_two_are_named(trial):
    from pipelines.watch import Matcher, load_watch
    from pipelines.watch.model import Document
    document = Document(title="Russia and Pakistan hold talks", language="en", text=(
        "India and Pakistan exchanged fire on the border. "
        "Pakistan said India started it. "
        "Russia and Pakistan later held defence talks in Moscow."))
    watch = load_watch(trial.WATCH)
    result = Matcher([watch]).explain(document)[0]
    features = trial.structure(watch, document, result)
    assert features["structure:title names both"] == 1.0
    # both are first named together in the last sentence, two thirds of the way in
    assert 0.5 < features["structure:both named from"] < 1.0
    assert features["structure:russia sentences with india"] == 0.0
    assert features["structure:sentences pairing them"] == pytest.approx(np.log1p(1))


def test_out_of_fold_predictions_come_from_models_that_never_saw_the_text(trial):
    rng = np.random.default_rng(3)
    y = np.r_[np.ones(50), np.zeros(50)]
    x = np.c_[np.ones(100), np.r_[rng.normal(2, 0.5, 50), rng.normal(-2, 0.5, 50)]]
    tuning = np.ones(100, dtype=bool)
    p = trial.predictions_out_of_fold(x, y, tuning, l2=1.0)
    assert ((p >= 0.5) == (y == 1)).all()
    # a label the other folds cannot know: flipping one text's label does not move its own prediction
    flipped = y.copy()
    flipped[0] = 0
    assert trial.predictions_out_of_fold(x, flipped, tuning, l2=1.0)[0] == p[0]
    half = trial.predictions_out_of_fold(x, y, tuning, l2=1.0, share=0.5)
    assert half.shape == p.shape and not np.allclose(half, p)
