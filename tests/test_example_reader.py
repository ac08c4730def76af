"""`explain FILE` and `watch test` read an example file the same way, so it scores the same."""
from __future__ import annotations

import re
import shutil

from click.testing import CliRunner

from crawler.cli import main
from crawler.config import WATCHLISTS_DIR
from crawler.explain_input import document_from_file
from pipelines.watch.evaluate import read_example

EXAMPLES = WATCHLISTS_DIR / "examples" / "russia_pakistan_security"


def run(tmp_path, *args: str) -> str:
    config = tmp_path / "newswatch.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n')
    result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_same_example_scores_the_same_in_explain_and_watch_test(tmp_path):
    # A relevant example filed under irrelevant/: `watch test` then prints its score (a false alarm).
    (tmp_path / "relevant").mkdir()
    example = tmp_path / "irrelevant" / "01-druzhba-cherat.en.txt"
    example.parent.mkdir()
    shutil.copy(EXAMPLES / "relevant" / example.name, example)
    assert example.read_text(encoding="utf-8").startswith("# ")  # a title line, boosted as a title

    tested = run(tmp_path, "watch", "test", "russia_pakistan_security", "--examples", str(tmp_path))
    explained = run(tmp_path, "explain", str(example), "--watch", "russia_pakistan_security")
    watch_test_score = re.search(rf"false alarm: {re.escape(str(example))} \(score ([\d.]+)\)", tested).group(1)
    explain_score = re.search(r"score ([\d.]+) \(threshold", explained).group(1)
    assert explain_score == watch_test_score


def test_one_reader_for_text_files(tmp_path):
    example = tmp_path / "talks.txt"  # no language code in the name: detected from the text
    body = "Delegacja Rosji rozmawiała z Pakistanem o bezpieczeństwie i wspólnych ćwiczeniach wojskowych.\n"
    example.write_bytes(("\ufeff# Rozmowy w Islamabadzie\n" + body).encode("utf-8") + b"\xff")  # BOM, stray byte
    doc = read_example(example)
    assert doc == document_from_file(example)
    assert doc.title == "Rozmowy w Islamabadzie" and doc.text.startswith("Delegacja Rosji")
    assert doc.language == "pl" and doc.text.endswith("\ufffd")  # a stray byte is replaced, not fatal
