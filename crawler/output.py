"""Rows → table, json, jsonl or csv on stdout, for the listing commands.

Tables are drawn by tabulate; what is ours is the cell text: one line, cut to a column's width.
Cells hold article text, so they are made safe for where they land: table and csv cells are
cleaned like alert text (control characters, bidi overrides and stray zero-width marks out), a csv cell
a spreadsheet would run as a formula starts with a quote, and json escapes those characters.
"""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime

import click
from tabulate import tabulate

from pipelines.render import clean
from pipelines.text import clip

FORMATS = ("table", "json", "jsonl", "csv")
DEFAULT_WIDTH = 60

format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
    help="table to read; json, jsonl or csv (every field) to process.")


# Written as \u escapes in json (still the same data): C1 controls, which some terminals obey,
# and the bidi, zero-width and line-separator marks that make a line read as something else.
_TERMINAL_UNSAFE = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _json(value, **kwargs) -> str:
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    return _TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _cell(value) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return _json(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return clean(str(value))


# OWASP "CSV injection": a spreadsheet runs a cell that starts with one of these as a formula
# (=HYPERLINK(…), +cmd|…, @SUM(…)); a leading quote makes it text. Plain numbers (-3.5) stay numbers.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _csv_cell(value) -> str:
    text = _cell(value)
    return "'" + text if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text) else text


def render(rows: list[dict], fmt: str, columns: list[str] | None = None, widths: dict[str, int] | None = None) -> str:
    """``columns`` and ``widths`` shape the table; json, jsonl and csv carry every field."""
    if fmt == "json":
        return _json([{k: _plain(v) for k, v in r.items()} for r in rows], indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(_json({k: _plain(v) for k, v in r.items()}) + "\n" for r in rows)
    fields = list(rows[0]) if rows else columns or []
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(fields)
        writer.writerows([_csv_cell(row.get(c)) for c in fields] for row in rows)
        return buffer.getvalue()
    if not rows:
        return "(none)\n"
    columns, widths = columns or fields, widths or {}
    cells = [[clip(_cell(row.get(c)), widths.get(c, DEFAULT_WIDTH)) for c in columns] for row in rows]
    return tabulate(cells, headers=columns, tablefmt="simple", disable_numparse=True) + "\n"


def emit(rows: list[dict], fmt: str, columns: list[str] | None = None, widths: dict[str, int] | None = None) -> None:
    click.echo(render(rows, fmt, columns, widths), nl=False)
