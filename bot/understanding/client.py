"""Async client for Rasa's `POST /model/parse`, with a timeout, bounded retries and a circuit breaker.

The breaker keeps a dead or slow Rasa from costing every message a timeout: after
`failure_threshold` failed calls in a row it opens and calls return None at once (the caller
answers from the matcher); after `cooldown` seconds one probe call is let through (half-open); its
success closes the breaker, its failure opens it again.

HTTP goes through aiohttp: every user message makes one request, and an aiohttp request costs about a
quarter of the CPU of an httpx one (bench/README.md).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp

from bot.understanding.model import Understanding
from bot.understanding.training import for_rasa

BreakerState = Literal["closed", "open", "half_open"]

PARSE_TIMEOUT = 1.0  # seconds for one request; the user is waiting
RETRY_DELAY = 0.05


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int = 3,
        cooldown: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self._clock = clock
        self._opened_at: float | None = None
        self._probing = False
        self.consecutive_failures = 0
        self.times_opened = 0

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.cooldown:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one probe at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probing:
            self._probing = True
            return True
        return False

    def record_success(self) -> None:
        self._opened_at = None
        self._probing = False
        self.consecutive_failures = 0

    def record_failure(self) -> None:
        self.consecutive_failures += 1
        was_probe = self._probing
        self._probing = False
        if was_probe or (self._opened_at is None and self.consecutive_failures >= self.failure_threshold):
            self._opened_at = self._clock()
            self.times_opened += 1


@dataclass
class ClientStats:
    """Counters for metrics and logs (never message texts)."""

    requests: int = 0  # calls to parse()
    successes: int = 0
    failures: int = 0  # calls that ended without an answer after their retries
    retries: int = 0
    short_circuits: int = 0  # calls refused because the breaker was open
    last_error: str = ""  # the kind of the last failure, e.g. "ConnectError" or "HTTP 500"


class _RetryableError(Exception):
    """A failure that came fast (refused connection, 502/503): worth one more try."""


class HttpSession:
    """`session()` is an aiohttp session with a total timeout per request, made on first use: an
    aiohttp session belongs to the event loop it was made in (the client is built before it runs)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def __call__(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class RasaClient:
    """`await parse(text)` -> Understanding, or None when Rasa is unavailable or the breaker is open."""

    def __init__(
        self,
        base_url: str,
        *,
        topic_ids: frozenset[str],
        resolve_place: Callable[[str], str | None] = lambda value: None,
        timeout: float = PARSE_TIMEOUT,
        retries: int = 1,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.topic_ids = topic_ids
        self.resolve_place = resolve_place
        self.timeout = timeout
        self.retries = retries
        self.breaker = breaker or CircuitBreaker()
        self.stats = ClientStats()
        self._http = HttpSession(timeout)

    @property
    def state(self) -> BreakerState:
        return self.breaker.state

    async def aclose(self) -> None:
        await self._http.aclose()

    async def parse(self, text: str) -> Understanding | None:
        self.stats.requests += 1
        if not self.breaker.allow():
            self.stats.short_circuits += 1
            return None
        for attempt in range(self.retries + 1):
            try:
                payload = await self._post(text)
                understanding = self.understanding_from(payload)
            except _RetryableError as error:
                self.stats.last_error = str(error)
                if attempt < self.retries:
                    self.stats.retries += 1
                    await asyncio.sleep(RETRY_DELAY)
                    continue
            except (TimeoutError, aiohttp.ClientError, ValueError, KeyError, TypeError) as error:
                # Timeouts are not retried: the time budget of this message is spent.
                self.stats.last_error = "Timeout" if isinstance(error, TimeoutError) else type(error).__name__
            else:
                self.stats.successes += 1
                self.breaker.record_success()
                return understanding
            break
        self.stats.failures += 1
        self.breaker.record_failure()
        return None

    async def _post(self, text: str) -> dict[str, Any]:
        try:
            # Rasa learnt normalised questions (training.for_rasa); it must parse them the same way.
            async with self._http().post(
                f"{self.base_url}/model/parse", json={"text": for_rasa(text)}
            ) as response:
                status, body = response.status, await response.read()
        except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError) as error:
            # Not connected, or the connection dropped before an answer: worth one more try.
            raise _RetryableError(type(error).__name__) from error
        if status in (502, 503):
            raise _RetryableError(f"HTTP {status}")
        if status != 200:
            raise ValueError(f"HTTP {status}")
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise ValueError("not a JSON object")
        return payload

    def understanding_from(self, payload: dict[str, Any]) -> Understanding:
        """Turn Rasa's parse result into an Understanding (source "rasa")."""
        intent = payload.get("intent") or {}
        name = str(intent.get("name") or "out_of_scope")
        confidence = float(intent.get("confidence") or 0.0)
        ranking = tuple(
            (str(item["name"]), float(item["confidence"])) for item in payload.get("intent_ranking") or ()
        ) or ((name, confidence),)
        place = None
        for entity in payload.get("entities") or ():
            if entity.get("entity") == "place" and (place := self.resolve_place(str(entity.get("value")))):
                break
        return Understanding(
            intent=name,
            topic=name if name in self.topic_ids else None,
            confidence=confidence,
            ranking=ranking,
            place=place,
            source="rasa",
        )
