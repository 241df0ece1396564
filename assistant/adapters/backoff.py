"""Backoff: how long to wait before trying a failed connection again.

Exponential, capped, with jitter: a server that is down for an hour is asked about a
dozen times, not thousands, and several accounts (or several installations behind one
NAT) do not all knock at the same second when it comes back.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(
        self, *, base: float = 1.0, cap: float = 300.0, jitter: float = 0.5, rng: random.Random | None = None
    ):
        self.base = base
        self.cap = cap
        self.jitter = jitter
        self.failures = 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        """The wait before the next attempt, after one more failure."""
        delay = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        return delay * self._rng.uniform(1 - self.jitter, 1 + self.jitter)

    def reset(self) -> None:
        self.failures = 0
