"""The shipped lemma table answers exactly what simplemma answers for the bundled watches."""
from pipelines.watch import lemma_table


def test_lemma_table_is_current():
    assert lemma_table.main(["--check"]) == 0, "run: python -m pipelines.watch.lemma_table"
