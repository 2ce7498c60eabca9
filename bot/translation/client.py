"""Async client for LibreTranslate's HTTP API: `POST /translate` and `GET /languages`.

Every call ends in a `Translation`: the translated text, or none and the reason. No exception leaves
this module, so a translation service that is down, slow or refusing can never hold up a reply: the
caller sends the original and tells staff why. A circuit breaker (the one the Rasa client uses) keeps
a dead or slow service from costing every request its timeout; the languages the service offers are
cached and fetched again after `LANGUAGES_TTL`.

Our language codes are LibreTranslate's (de en uk ru ar tr fa; "ku" for Kurmanji, which the engines
we know have no model for): they are sent as they are, and `/languages` says which ones are offered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp

from bot.settings import Settings
from bot.understanding.client import CircuitBreaker, HttpSession

log = logging.getLogger(__name__)

LANGUAGES_TTL = 3600.0  # seconds; a server's models change when its operator installs new ones
# At most this many requests to the service at once: a case page asks for a translation of each
# user message it shows, and a small server translates one text at a time per core.
CONCURRENT_REQUESTS = 4

# Why a text was not translated:
# - not_offered: the service has no model from the source into the target language
# - unavailable: the service did not answer in time, refused, or answered nonsense
Reason = Literal["not_offered", "unavailable"]


@dataclass(frozen=True)
class Translation:
    text: str | None  # None: not translated (see `reason`)
    reason: Reason | None = None
    detail: str = ""  # for the log: "Timeout", "HTTP 403", … (never a text)

    @property
    def done(self) -> bool:
        return self.text is not None


def not_offered() -> Translation:
    return Translation(None, "not_offered")


def unavailable(detail: str) -> Translation:
    return Translation(None, "unavailable", detail)


class _Failed(Exception):
    """A request that got no usable answer; the message names the kind (never a text)."""


class Translator:
    """`await translate(text, source=…, target=…)` -> Translation, through one LibreTranslate server."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 3.0,
        breaker: CircuitBreaker | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        # One failed call opens it: a page render asks for many translations at once, and a service
        # that timed out for one of them will time out for the next as well.
        self.breaker = breaker or CircuitBreaker(failure_threshold=1, cooldown=30.0, clock=clock)
        self._clock = clock
        self._languages: dict[str, frozenset[str]] | None = None  # source -> targets
        self._languages_at = 0.0
        self._limit = asyncio.Semaphore(CONCURRENT_REQUESTS)
        self._asking_languages = asyncio.Lock()  # one `/languages` request at a time, not one per text
        self._http = HttpSession(timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> Translator | None:
        """The configured translator, or None when TRANSLATE_URL is unset (nothing is sent anywhere)."""
        if settings.translate_url is None:
            return None
        key = settings.translate_api_key.get_secret_value() if settings.translate_api_key else None
        return cls(str(settings.translate_url), api_key=key, timeout=settings.translate_timeout_seconds)

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- the API -----------------------------------------------------------------------------------

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One request through the breaker; the JSON answer, or _Failed."""
        if not self.breaker.allow():
            raise _Failed("breaker open")
        try:
            async with (
                self._limit,
                self._http().request(method, self.base_url + path, json=body) as response,
            ):
                if response.status != 200:
                    raise _Failed(f"HTTP {response.status}")
                answer = await response.json(content_type=None)
        except (_Failed, asyncio.CancelledError):
            # Cancelled too (`translate_all` gave up waiting): else a half-open breaker would wait
            # for the end of a probe that never ends, and stay shut.
            self.breaker.record_failure()
            raise
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:
            self.breaker.record_failure()
            raise _Failed("Timeout" if isinstance(error, TimeoutError) else type(error).__name__) from None
        self.breaker.record_success()
        return answer

    async def languages(self) -> Mapping[str, frozenset[str]] | None:
        """Which languages the service translates from and into: {source: targets}. Cached for
        LANGUAGES_TTL; while the service cannot be asked, the last answer (or None: not known)."""
        if self._fresh():
            return self._languages
        async with self._asking_languages:
            if self._fresh():  # another call just asked
                return self._languages
            return await self._ask_languages()

    def _fresh(self) -> bool:
        return self._languages is not None and self._clock() - self._languages_at < LANGUAGES_TTL

    async def _ask_languages(self) -> Mapping[str, frozenset[str]] | None:
        try:
            answer = await self._call("GET", "/languages")
            codes = {str(entry["code"]): entry.get("targets") for entry in answer}
        except (_Failed, KeyError, TypeError, AttributeError) as error:
            if not isinstance(error, _Failed):
                self.breaker.record_failure()
            log.warning("translation service: languages not read", extra={"error": str(error) or "format"})
            return self._languages
        # Servers before LibreTranslate 1.3 list no targets: each language into every other one.
        self._languages = {
            code: frozenset(str(target) for target in targets)
            if isinstance(targets, list)
            else frozenset(codes)
            for code, targets in codes.items()
        }
        self._languages_at = self._clock()
        return self._languages

    async def offers(self, source: str, target: str) -> bool | None:
        """Whether the service translates `source` into `target`; None when that cannot be known now."""
        known = await self.languages()
        if known is None:
            return None
        return target in known.get(source, frozenset())

    async def translate(self, text: str, *, source: str, target: str) -> Translation:
        offered = await self.offers(source, target)
        if offered is False:
            return not_offered()
        if offered is None:
            return unavailable("languages unknown")
        body: dict[str, Any] = {"q": text, "source": source, "target": target, "format": "text"}
        if self.api_key:
            body["api_key"] = self.api_key
        try:
            answer = await self._call("POST", "/translate", body)
            translated = answer["translatedText"]
            if not isinstance(translated, str) or not translated.strip():
                raise _Failed("empty translation")
        except (_Failed, KeyError, TypeError) as error:
            detail = str(error) if isinstance(error, _Failed) else "format"
            log.warning("translation service: text not translated", extra={"error": detail})
            return unavailable(detail)
        return Translation(translated)

    async def translate_all(self, texts: Sequence[str], *, source: str, target: str) -> list[Translation]:
        """Several texts at once (at most CONCURRENT_REQUESTS in flight), all within one timeout: what
        is not back by then is `unavailable` this time."""
        jobs = [asyncio.ensure_future(self.translate(text, source=source, target=target)) for text in texts]
        if not jobs:
            return []
        done, pending = await asyncio.wait(jobs, timeout=self.timeout)
        for job in pending:
            job.cancel()
        if pending:  # each cancelled request counts as a failure of the service (see `_call`)
            await asyncio.gather(*pending, return_exceptions=True)
        return [job.result() if job in done else unavailable("Timeout") for job in jobs]
