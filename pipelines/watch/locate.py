"""Find the line of a key in a TOML source, so semantic errors can name it.

tomllib gives no positions for values; a plain scan of the text for the table header and then
the key is enough for the files analysts write. When the scan fails, the table's line (or
None) is returned rather than a wrong line.
"""
from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[")


def _header_pattern(table: str, array: bool) -> re.Pattern:
    parts = [rf"(?:{re.escape(p)}|\"{re.escape(p)}\"|'{re.escape(p)}')" for p in table.split(".")]
    body = r"\s*\.\s*".join(parts)
    if array:
        return re.compile(rf"^\s*\[\[\s*{body}\s*\]\]\s*(#.*)?$")
    return re.compile(rf"^\s*\[\s*{body}\s*\]\s*(#.*)?$")


def find_line(source: str, table: str, key: str | None = None, index: int | None = None,
              needle: str | None = None) -> int | None:
    """1-based line of ``key`` (or of ``needle`` inside its value) in ``[table]``.

    ``index`` selects the n-th ``[[table]]`` of an array of tables.
    """
    lines = source.splitlines()
    header = _header_pattern(table, index is not None)
    start = None
    seen = 0
    for i, line in enumerate(lines):
        if header.match(line):
            if index is None or seen == index:
                start = i
                break
            seen += 1
    if start is None:
        return _anywhere(lines, key, needle)
    end = next((j for j in range(start + 1, len(lines)) if _HEADER.match(lines[j])), len(lines))
    if key is None:
        return start + 1
    key_re = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
    key_line = next((j for j in range(start + 1, end) if key_re.match(lines[j])), None)
    if key_line is None:
        return start + 1
    if needle:
        # a quoted value first ("Pak" must not find the line of "Pakistan"), then bare text
        for probe in (f'"{needle}"', f"'{needle}'", needle):
            for j in range(key_line, end):
                if probe in lines[j]:
                    return j + 1
    return key_line + 1


def _anywhere(lines: list[str], key: str | None, needle: str | None) -> int | None:
    for probe in (needle, key):
        if probe:
            for i, line in enumerate(lines):
                if probe in line:
                    return i + 1
    return None
