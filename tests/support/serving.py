"""Serving an ASGI app on loopback inside a test (or the benchmark) process, over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.types import ASGIApp


class QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers: the test process keeps its own Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def listening_socket(port: int = 0) -> socket.socket:
    """A socket bound to 127.0.0.1 (a free port unless given), for `QuietServer.serve(sockets=…)`.

    Created with proto IPPROTO_TCP on purpose: asyncio switches Nagle's algorithm off only for
    sockets whose proto says TCP, and a plain `socket.socket()` has proto 0. With Nagle on, uvicorn's
    response (headers and body written separately) waited for the client's delayed ACK, ~40 ms per
    long-polled getUpdates, which the benchmark then counted as the bot's latency.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def free_port() -> int:
    """A loopback port that nothing listens on right now (for a server started in another process)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(app: ASGIApp, port: int = 0) -> AsyncIterator[int]:
    """`app` on a loopback port (a free one unless given) in this event loop; yields the port."""
    sock = listening_socket(port)
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="off", ws="none", timeout_graceful_shutdown=2
    )
    server = QuietServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="app-under-test")
    try:
        while not server.started:
            if task.done():
                task.result()  # it could not start: say why
            await asyncio.sleep(0.01)
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        sock.close()
