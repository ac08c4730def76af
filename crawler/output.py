"""Rows → table, json, jsonl or csv on stdout, for the listing commands.

Tables are drawn by tabulate; what is ours is the cell text: one line, cut to a column's width.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import click
from tabulate import tabulate

from pipelines.text import clip, one_line

FORMATS = ("table", "json", "jsonl", "csv")
DEFAULT_WIDTH = 60

format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
    help="table to read; json, jsonl or csv (every field) to process.")


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _cell(value) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return f"{value:.2f}"
    return one_line(str(value))


def render(rows: list[dict], fmt: str, columns: list[str] | None = None, widths: dict[str, int] | None = None) -> str:
    """``columns`` and ``widths`` shape the table; json, jsonl and csv carry every field."""
    if fmt == "json":
        return json.dumps([{k: _plain(v) for k, v in r.items()} for r in rows], ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps({k: _plain(v) for k, v in r.items()}, ensure_ascii=False) + "\n" for r in rows)
    fields = list(rows[0]) if rows else columns or []
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(fields)
        writer.writerows([_cell(row.get(c)) for c in fields] for row in rows)
        return buffer.getvalue()
    if not rows:
        return "(none)\n"
    columns, widths = columns or fields, widths or {}
    cells = [[clip(_cell(row.get(c)), widths.get(c, DEFAULT_WIDTH)) for c in columns] for row in rows]
    return tabulate(cells, headers=columns, tablefmt="simple", disable_numparse=True) + "\n"


def emit(rows: list[dict], fmt: str, columns: list[str] | None = None, widths: dict[str, int] | None = None) -> None:
    click.echo(render(rows, fmt, columns, widths), nl=False)
