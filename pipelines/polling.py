"""Adaptive polling: each source's interval follows how often it publishes.

After every successful poll the source's moving average of new entries per poll is updated; a
source that brings less than one new entry in two polls is polled half as often again, one that
brings more than three is polled more often, each step bounded by the source's minimum and
maximum interval. A failed poll does not count (it backs off on its own, see pipelines.sources).
"""
from __future__ import annotations

from dataclasses import dataclass

SMOOTHING = 0.3          # weight of the newest poll in the moving average
QUIET, BUSY = 0.5, 3.0   # new entries per poll below which a source is quiet, above which busy
STEP = 1.5               # interval × STEP when quiet, ÷ STEP when busy


@dataclass(frozen=True)
class NextInterval:
    seconds: float
    new_per_poll: float
    reason: str


def default_bounds(interval: float) -> tuple[float, float]:
    """The bounds of a source that sets none: a quarter of its interval (at least a minute, or
    the interval itself when that is shorter), eight times it (at most a day, or the interval)."""
    return min(interval, max(interval / 4, 60.0)), max(interval, min(interval * 8, 86400.0))


def next_interval(current: float, average: float | None, new_entries: int,
                  minimum: float, maximum: float) -> NextInterval:
    average = float(new_entries) if average is None else (1 - SMOOTHING) * average + SMOOTHING * new_entries
    if average < QUIET:
        proposed, mood = current * STEP, "quiet"
    elif average > BUSY:
        proposed, mood = current / STEP, "busy"
    else:
        proposed, mood = current, "steady"
    seconds = min(max(proposed, minimum), maximum)
    bound = " (at its minimum)" if seconds == minimum and mood == "busy" else \
        " (at its maximum)" if seconds == maximum and mood == "quiet" else ""
    return NextInterval(seconds, average, f"{mood}: {average:.1f} new entries per poll{bound}")
