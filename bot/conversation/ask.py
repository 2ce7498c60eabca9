"""`wegweiser ask`: one question (or one JSON line each) in, the bot's decision and reply out.

An exact contract, used by evaluation outside the test suite: each result is
{"topic", "intent", "confidence", "language", "action", "text", "more"}, where `text` is the reply
exactly as the user reads it first and `more` what its "More" button shows (null when it has none).
Nothing is stored. The NLU server at RASA_URL is used; when none answers, the in-process matcher
answers and stderr says so once.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.content.model import ContentBase
from bot.conversation import replies as say
from bot.conversation.core import LOCAL_TIME
from bot.conversation.messages import MAX_TEXT
from bot.i18n import normalize_language, texts
from bot.office_hours import WeeklyHours
from bot.understanding.language import detect
from bot.understanding.policy import decide
from bot.understanding.understand import Understander

CONCURRENCY = 8  # lines in flight at once; results are still written in input order


class AskError(ValueError):
    """A bad question: the message says what is wrong."""


def _question(line: str) -> tuple[str, str | None, str | None]:
    """The text, lang and place of one JSON line; AskError says what is wrong with the line."""
    try:
        item = json.loads(line)
    except RecursionError:
        raise AskError("nested too deeply") from None
    if not isinstance(item, dict):
        raise AskError("not a JSON object")
    fields = {key: item.get(key) for key in ("text", "lang", "place")}
    for key, value in fields.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise AskError(f"{key!r} must be a string")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, escaped in JSON or left from bytes that are not UTF-8
            raise AskError(f"{key!r} is not valid Unicode text") from None
    return fields["text"] or "", fields["lang"], fields["place"]


class Asker:
    def __init__(self, content: ContentBase, understander: Understander, staff_hours: WeeklyHours) -> None:
        self.content = content
        self.understander = understander
        self.staff_hours = staff_hours
        self.noted_degraded = False

    def language_of(self, text: str, lang: str | None) -> str:
        if lang is not None:
            language = normalize_language(lang)
            if language is None:
                raise AskError(f"unknown language {lang!r} (use one of de en uk ru ar tr fa ku)")
            return language
        return detect(text) or "en"

    async def ask(self, text: str, *, lang: str | None = None, place: str | None = None) -> dict[str, Any]:
        if not isinstance(text, str) or not text.strip():
            raise AskError("empty question")
        if place is not None and self.content.region(place) is None:
            raise AskError(f"unknown place {place!r} (a region id from content/regions.yaml)")
        if len(text) > MAX_TEXT:  # as in the bot: not understood (a megabyte took the matcher a minute)
            language = self.language_of(text[:MAX_TEXT], lang)
            return {
                "topic": None,
                "intent": None,
                "confidence": 0.0,
                "language": language,
                "action": "too_long",
                "text": say.too_long(texts(language), MAX_TEXT).plain_text,
                "more": None,
            }
        language = self.language_of(text, lang)
        understanding = await self.understander.understand(text, language=language)
        self._note_degraded()
        decision = decide(
            understanding, text, language=language, place_known=place is not None, content=self.content
        )
        region_id = decision.place or place
        region = self.content.region(region_id) if region_id else None
        now = datetime.now(UTC).astimezone(LOCAL_TIME)
        t = texts(language)
        shown = say.for_decision(decision, self.content, t, region, now, self.staff_hours)
        behind = say.more_behind(shown, self.content, t, region, now)
        return {
            "topic": decision.topic,
            "intent": decision.intent,
            "confidence": round(float(decision.confidence), 4),
            "language": language,
            "action": decision.action,
            "text": "\n\n".join(reply.plain_text for reply in shown),
            "more": "\n\n".join(reply.plain_text for reply in behind) if behind else None,
        }

    def _note_degraded(self) -> None:
        if self.understander.degraded and not self.noted_degraded:
            self.noted_degraded = True
            client = self.understander.client
            where = client.base_url if client is not None else "(none configured)"
            print(
                f"wegweiser ask: no NLU server answers at {where}; degraded mode (in-process matcher)",
                file=sys.stderr,
                flush=True,
            )

    async def ask_lines(self, lines: Iterable[str], out: TextIO) -> int:
        """One JSON result per input line, in order; a bad line gets {"error": …}. Returns bad lines."""
        bad = 0
        limit = asyncio.Semaphore(CONCURRENCY)

        async def one(number: int, line: str) -> dict[str, Any]:
            async with limit:
                try:
                    text, lang, place = _question(line)
                    return await self.ask(text, lang=lang, place=place)
                except (ValueError, AskError) as error:
                    print(f"wegweiser ask: line {number}: {error}", file=sys.stderr, flush=True)
                    return {"error": f"line {number}: {error}"}

        pending: list[asyncio.Task[dict[str, Any]]] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            pending.append(asyncio.create_task(one(number, line)))
            if len(pending) >= CONCURRENCY * 4:
                bad += await self._write(pending[: CONCURRENCY * 2], out)
                del pending[: CONCURRENCY * 2]
        bad += await self._write(pending, out)
        return bad

    @staticmethod
    async def _write(tasks: list[asyncio.Task[dict[str, Any]]], out: TextIO) -> int:
        bad = 0
        for task in tasks:
            result = await task
            bad += "error" in result
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
        return bad
