"""The shipped lemma table answers exactly what simplemma answers for the bundled watches."""
from crawler.config import bundled_watch_paths
from pipelines.watch import lemma_table


def test_lemma_table_is_current():
    paths = [str(p) for p in bundled_watch_paths()]
    assert lemma_table.main(["--check", *paths]) == 0, "run: python -m pipelines.watch.lemma_table crawler/watchlists/*.toml"
