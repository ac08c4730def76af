"""Small text helpers every layer uses: one line of text, text cut to a length, a file read bounded."""
from __future__ import annotations

from pathlib import Path


class TooLarge(ValueError):
    """A file holds more than the reader takes."""


def one_line(text: str | None) -> str:
    """Runs of whitespace (newlines included) become one space; ends trimmed."""
    return " ".join((text or "").split())


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters; a cut ends with "…" (counted in the limit)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def read_at_most(path: str | Path, limit: int) -> bytes:
    """A file's bytes, never reading past ``limit`` + 1 (a device such as /dev/zero has no end).
    Raises TooLarge when there is more; OSError as ``open`` does."""
    with open(path, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"{path} is larger than {limit} bytes")
    return data
