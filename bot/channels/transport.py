"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

Measured on the project's machine (bench/README.md): an httpx request costs ~0.9 ms of CPU, an aiohttp
request ~0.2 ms. Every user message takes at least two Bot API requests (getUpdates, sendMessage), and
the bot process is what limits throughput, so the transport is worth its forty lines.

Semantics kept from the httpx transport it replaces: a request that could not even connect is tried
again (it never reached Telegram, so sending again cannot duplicate a message); a timeout raises
`TimedOut`, any other network failure `NetworkError`, as python-telegram-bot expects.
"""

from __future__ import annotations

import asyncio

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

CONNECT_RETRY_DELAYS = (0.0, 0.5, 1.0)  # like httpx's transport with retries=3


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        *,
        pool: int,
        connect_timeout: float,
        read_timeout: float,
        pool_timeout: float,
    ) -> None:
        # No write timeout: aiohttp has none of its own (sending the body counts towards the read).
        self.pool = pool
        self.connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self.pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.pool), headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self.connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self.pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        for delay in (*CONNECT_RETRY_DELAYS, None):
            try:
                async with self._session.request(
                    method, url, data=_body(request_data), timeout=timeout
                ) as response:
                    return response.status, await response.read()
            except aiohttp.ClientConnectorError as error:
                if delay is None:
                    raise NetworkError(f"aiohttp ClientConnectorError: {error}") from error
                await asyncio.sleep(delay)
            except (TimeoutError, aiohttp.ServerTimeoutError) as error:
                raise TimedOut from error
            except aiohttp.ClientError as error:
                raise NetworkError(f"aiohttp {type(error).__name__}: {error}") from error
        raise AssertionError("unreachable")


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as python-telegram-bot encodes them; multipart when there are files."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields
    form = aiohttp.FormData(fields)
    for name, part in request_data.multipart_data.items():
        filename, content, mime_type = part
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
