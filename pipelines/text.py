"""Small text helpers every layer uses: one line of text, and text cut to a length."""
from __future__ import annotations


def one_line(text: str | None) -> str:
    """Runs of whitespace (newlines included) become one space; ends trimmed."""
    return " ".join((text or "").split())


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters; a cut ends with "…" (counted in the limit)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
