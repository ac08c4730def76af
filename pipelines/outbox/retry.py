"""The retry policy of a failed delivery: exponential backoff with jitter, then dead."""
from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8           # the attempt that fails this many times makes the row dead
    initial: float = 60.0           # seconds before the first retry
    maximum: float = 6 * 3600.0     # the delay doubles per attempt up to this
    jitter: float = 0.1             # ±10 %, so a burst of failures does not retry in lockstep

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def delay(self, attempts: int, rng=random) -> float:
        """initial × 2^(attempts-1), capped at maximum, with ±jitter (never above maximum)."""
        base = min(self.maximum, self.initial * (2 ** max(0, attempts - 1)))
        return min(self.maximum, base * (1 + rng.uniform(-self.jitter, self.jitter)))
