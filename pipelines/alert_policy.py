"""What a target asks of its alerts: which ones (route), when (schedule, quiet hours), how fast (pace).

Routing is decided when alert rows are made: a target that does not want an alert gets no row.
Timing is decided then too: a row held for a digest or by quiet hours is made with its
``next_attempt_at`` at the moment it may go, and ``hold`` saying why, so the outbox needs no
other clock and ``newswatch alerts`` can say why a row waits. Pace is applied by the delivery
worker between two messages to one target.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pipelines.clock import as_utc

HOLD_DIGEST = "digest"   # waits for the target's next scheduled digest
HOLD_QUIET = "quiet"     # waits for the end of the target's quiet hours
# Seconds between two messages to one target, by channel, unless the target sets its own pace.
# Slack documents one message per second per webhook; mail servers throttle bursts; a generic
# webhook (often on the same network) gets no pause.
DEFAULT_PACE = {"slack": 1.0, "email": 2.0, "generic": 0.0}
DEFAULT_BURST = 5        # more alerts than this due at once for one target go out as one digest


@dataclass(frozen=True)
class Route:
    """Which analysts' alerts a target receives; an empty set means any."""

    watches: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    min_score: float = 0.0

    def accepts(self, watch: str, score: float, language: str | None, source: str | None) -> bool:
        return ((not self.watches or watch in self.watches)
                and (not self.languages or (language or "") in self.languages)
                and (not self.sources or (source or "") in self.sources)
                and score >= self.min_score)

    def describe(self) -> list[str]:
        parts = [f"{name} {', '.join(sorted(values))}" for name, values in
                 (("watches", self.watches), ("languages", self.languages), ("sources", self.sources)) if values]
        return parts + ([f"score ≥ {self.min_score:g}"] if self.min_score else [])


@dataclass(frozen=True)
class Schedule:
    """When a target's alerts go out: at once (``instant``) or as digests every ``every`` seconds
    or daily at ``at``; ``quiet`` hours hold instant alerts until they end; an alert scoring at
    least ``urgent_score`` goes at once whatever the schedule. Times are in ``timezone``."""

    mode: str = "instant"                      # instant | digest
    every: float | None = None                 # digest period, seconds (from midnight, local time)
    at: time | None = None                     # daily digest at this local time
    quiet: tuple[time, time] | None = None     # (start, end); may span midnight: 22:00-07:00
    timezone: str = "UTC"
    urgent_score: float | None = None

    def release(self, now: datetime, score: float) -> tuple[datetime, str | None]:
        """When an alert made ``now`` may go, and why it waits (None: it may go now)."""
        if self.urgent_score is not None and score >= self.urgent_score:
            return now, None
        local = as_utc(now).astimezone(ZoneInfo(self.timezone))
        if self.mode == "digest":
            return as_utc(self._next_digest(local)), HOLD_DIGEST
        if self.quiet and _in_window(local.timetz().replace(tzinfo=None), *self.quiet):
            return as_utc(_next_at(local, self.quiet[1])), HOLD_QUIET
        return now, None

    def describe(self) -> list[str]:
        parts = []
        if self.mode == "digest":
            parts.append(f"digest daily at {self.at:%H:%M}" if self.at else f"digest every {self.every / 60:g} min")
        if self.quiet:
            parts.append(f"quiet {self.quiet[0]:%H:%M}-{self.quiet[1]:%H:%M}")
        if parts and self.timezone != "UTC":
            parts[-1] += f" ({self.timezone})"
        if self.urgent_score is not None:
            parts.append(f"at once from score {self.urgent_score:g}")
        return parts

    def _next_digest(self, local: datetime) -> datetime:
        if self.at is not None:
            return _next_at(local, self.at)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        elapsed = (local - midnight).total_seconds()
        periods = int(elapsed // self.every) + 1
        due = midnight + timedelta(seconds=periods * self.every)
        # a period that does not divide the day restarts at midnight rather than drifting
        return min(due, midnight + timedelta(days=1))


def _in_window(moment: time, start: time, end: time) -> bool:
    return start <= moment < end if start <= end else moment >= start or moment < end


def _next_at(local: datetime, at: time) -> datetime:
    """The next local wall-clock ``at`` after ``local`` (the same day or the next)."""
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (candidate + timedelta(days=1)).replace(hour=at.hour, minute=at.minute)
    return candidate


def pace_for(channel: str, pace: float | None) -> float:
    """Seconds to leave between two messages to one target."""
    return DEFAULT_PACE.get(channel, 0.0) if pace is None else pace
