"""Rate limits of the web chat: token buckets in this process's memory.

Each worker process keeps its own buckets, so with several workers a client gets up to that many
times the limit (the README says so); the daily cap per user (USER_MESSAGES_PER_DAY) is counted in
the database and holds across workers. Buckets that have filled up again are dropped when the table
grows, so memory stays bounded by the clients of the last window.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.settings import Settings

PRUNE_ABOVE = 10_000  # buckets kept before full ones are dropped


class RateLimit:
    """At most `count` per `seconds` for each key, with bursts up to `count` (a token bucket)."""

    def __init__(self, count: int, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(count)
        self.per_second = count / seconds
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)

    def _tokens(self, key: str, now: float) -> float:
        tokens, when = self.buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - when) * self.per_second)

    def wait(self, key: str) -> int:
        """0 and one taken, if `key` may go now; else how many seconds until it may (nothing taken)."""
        now = self.clock()
        tokens = self._tokens(key, now)
        if tokens < 1:
            return max(1, math.ceil((1 - tokens) / self.per_second))
        if len(self.buckets) >= PRUNE_ABOVE:
            self.buckets = {k: v for k, v in self.buckets.items() if self._tokens(k, now) < self.capacity}
        self.buckets[key] = (tokens - 1, now)
        return 0

    def allows(self, key: str) -> bool:
        return self.wait(key) == 0


@dataclass(frozen=True)
class ChatLimits:
    per_session: RateLimit  # messages of one session
    per_address: RateLimit  # messages from one client address
    new_sessions: RateLimit  # sessions one address starts
    cases: RateLimit  # cases opened from one address

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> ChatLimits:
        return cls(
            per_session=RateLimit(settings.chat_messages_per_minute, 60, clock=clock),
            per_address=RateLimit(settings.chat_messages_per_minute_per_address, 60, clock=clock),
            new_sessions=RateLimit(settings.chat_new_sessions_per_hour_per_address, 3600, clock=clock),
            cases=RateLimit(settings.chat_cases_per_hour_per_address, 3600, clock=clock),
        )
