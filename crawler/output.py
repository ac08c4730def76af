"""Rows → table, json, jsonl or csv on stdout, for the listing commands."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime

FORMATS = ("table", "json", "jsonl", "csv")


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _cell(value) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return f"{value:.2f}"
    return " ".join(str(value).split())


def render(rows: list[dict], fmt: str, columns: list[str] | None = None, widths: dict[str, int] | None = None) -> str:
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "json":
        return json.dumps([{k: _plain(r[k]) for k in r} for r in rows], ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps({k: _plain(r[k]) for k in r}, ensure_ascii=False) + "\n" for r in rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return buffer.getvalue()
    return _table(rows, columns, widths or {})


def _table(rows: list[dict], columns: list[str], widths: dict[str, int]) -> str:
    if not rows:
        return "(none)\n"
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    limits = [widths.get(c, 60) for c in columns]
    cells = [[v if len(v) <= lim else v[: lim - 1] + "…" for v, lim in zip(line, limits)] for line in cells]
    sizes = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    out = ["  ".join(c.ljust(sizes[i]) for i, c in enumerate(columns)).rstrip()]
    out.append("  ".join("-" * s for s in sizes))
    out += ["  ".join(v.ljust(sizes[i]) for i, v in enumerate(line)).rstrip() for line in cells]
    return "\n".join(out) + "\n"
