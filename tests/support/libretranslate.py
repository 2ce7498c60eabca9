"""A LibreTranslate server on loopback: real HTTP, the two calls Wegweiser makes.

- `GET /languages`: `[{"code", "name", "targets"}]` for the languages it is given (by default those
  of ours that LibreTranslate's models cover: no Kurmanji).
- `POST /translate` (JSON `q`, `source`, `target`, `format`, `api_key`): `{"translatedText": …}`; an
  unknown language pair is a 400 and a wrong or missing key (when one is required) a 403, each with
  `{"error": …}`, as LibreTranslate answers.

Its "translation" is recognisable, not real: `[uk→de] text`. Every request is recorded in `calls`;
`delay` makes it slow.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.serving import serving

COVERED = ("de", "en", "uk", "ru", "ar", "tr", "fa")  # ours without Kurmanji


def fake_translation(text: str, source: str, target: str) -> str:
    return f"[{source}→{target}] {text}"


@dataclass
class Call:
    path: str
    body: dict[str, Any]


@dataclass
class LibreTranslateServer:
    languages: tuple[str, ...] = COVERED
    api_key: str | None = None  # required when set
    delay: float = 0.0  # seconds before each answer
    calls: list[Call] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def translations(self) -> list[dict[str, Any]]:
        return [call.body for call in self.calls if call.path == "/translate"]

    async def _languages(self, request: Request) -> JSONResponse:
        self.calls.append(Call("/languages", {}))
        await asyncio.sleep(self.delay)
        return JSONResponse(
            [
                {"code": code, "name": code, "targets": [other for other in self.languages if other != code]}
                for code in self.languages
            ]
        )

    async def _translate(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        self.calls.append(Call("/translate", body))
        await asyncio.sleep(self.delay)
        if self.api_key is not None and body.get("api_key") != self.api_key:
            return JSONResponse({"error": "Invalid API key"}, status_code=403)
        source, target = body.get("source"), body.get("target")
        if source not in self.languages or target not in self.languages:
            return JSONResponse({"error": f"{source} or {target} is not supported"}, status_code=400)
        if body.get("format") != "text" or not isinstance(body.get("q"), str):
            return JSONResponse({"error": "Invalid request"}, status_code=400)
        return JSONResponse({"translatedText": fake_translation(body["q"], source, target)})

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[LibreTranslateServer]:
        app = Starlette(
            routes=[
                Route("/languages", self._languages, methods=["GET"]),
                Route("/translate", self._translate, methods=["POST"]),
            ]
        )
        async with serving(app) as port:
            self.port = port
            yield self
