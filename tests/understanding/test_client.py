"""The Rasa client and its circuit breaker, against a fake Rasa on a loopback port (real HTTP)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from bot.understanding.client import CircuitBreaker, RasaClient

TOPICS = frozenset({"registration", "jobcenter"})


def parse_result(intent: str, confidence: float, place: str | None = None) -> dict[str, object]:
    entities = [{"entity": "place", "value": place, "start": 0, "end": 1}] if place else []
    return {
        "text": "…",
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities,
        "intent_ranking": [{"name": intent, "confidence": confidence}, {"name": "greet", "confidence": 0.01}],
    }


class FakeRasa:
    """Answers like Rasa's /model/parse, or fails the way a dead or sick server fails. Plain asyncio
    streams, so it can also hang up without an answer ("dropped") or never answer ("silent")."""

    def __init__(self) -> None:
        self.mode = "up"  # up | dropped | error | garbage | silent
        self.calls = 0
        self.server: asyncio.Server | None = None
        self.release = asyncio.Event()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                headers = dict(line.lower().split(": ", 1) for line in header_lines if ": " in line)
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.calls += 1
                assert request_line.startswith("POST /model/parse ")
                if self.mode == "dropped":
                    break
                if self.mode == "silent":
                    await self.release.wait()
                    break
                status, content = 200, b""
                if self.mode == "error":
                    status, content = 500, b'{"error": "boom"}'
                elif self.mode == "garbage":
                    content = b"<html>"
                else:
                    text = json.loads(body)["text"]
                    result = parse_result("jobcenter" if "job" in text else "greet", 0.9, "Melle")
                    content = json.dumps(result).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(content)}\r\n\r\n".encode()
                    + content
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)

    async def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def state_of(client: RasaClient) -> str:
    # Read through a function: mypy would otherwise keep the first narrowed value of the property.
    return client.state


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fake() -> AsyncIterator[FakeRasa]:
    server = FakeRasa()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(fake: FakeRasa, clock: Clock) -> RasaClient:
    return RasaClient(
        fake.url,
        topic_ids=TOPICS,
        resolve_place=lambda value: "melle" if value == "Melle" else None,
        breaker=CircuitBreaker(failure_threshold=3, cooldown=10.0, clock=clock),
    )


async def test_parse_turns_rasa_output_into_an_understanding(client: RasaClient) -> None:
    found = await client.parse("where is the jobcenter")
    assert found is not None
    assert (found.intent, found.topic, found.place, found.source) == (
        "jobcenter",
        "jobcenter",
        "melle",
        "rasa",
    )
    assert found.ranking[0] == ("jobcenter", 0.9)
    conversation = await client.parse("hello")
    assert conversation is not None and conversation.intent == "greet" and conversation.topic is None
    await client.aclose()


async def test_a_dropped_connection_is_retried_once_then_given_up(client: RasaClient, fake: FakeRasa) -> None:
    fake.mode = "dropped"
    assert await client.parse("hello") is None
    assert fake.calls == 2  # one retry
    assert client.stats.retries == 1 and client.stats.failures == 1
    assert client.stats.last_error == "ServerDisconnectedError"
    await client.aclose()


async def test_refused_connections_are_retried_once_then_given_up() -> None:
    probe = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()  # nobody listens on that port any more
    client = RasaClient(f"http://127.0.0.1:{port}", topic_ids=TOPICS)
    assert await client.parse("hello") is None
    assert client.stats.retries == 1 and client.stats.failures == 1
    assert client.stats.last_error == "ClientConnectorError"
    await client.aclose()


async def test_server_errors_and_garbage_count_as_failures(client: RasaClient, fake: FakeRasa) -> None:
    fake.mode = "error"
    assert await client.parse("hello") is None
    fake.mode = "garbage"
    assert await client.parse("hello") is None
    assert client.stats.failures == 2 and client.stats.retries == 0
    await client.aclose()


async def test_breaker_opens_probes_and_closes(client: RasaClient, fake: FakeRasa, clock: Clock) -> None:
    fake.mode = "dropped"
    for _ in range(3):
        assert await client.parse("hello") is None
    assert state_of(client) == "open"
    calls = fake.calls
    assert await client.parse("hello") is None  # refused at once: no request goes out
    assert fake.calls == calls and client.stats.short_circuits == 1

    clock.now += 10.0
    assert state_of(client) == "half_open"
    assert await client.parse("hello") is None  # the probe fails: open again
    assert state_of(client) == "open"
    assert client.breaker.times_opened == 2

    fake.mode = "up"
    clock.now += 10.0
    found = await client.parse("where is the jobcenter")  # the probe succeeds: closed
    assert found is not None and found.topic == "jobcenter"
    assert state_of(client) == "closed"
    await client.aclose()


async def test_slow_server_times_out_within_a_second(client: RasaClient, fake: FakeRasa) -> None:
    fake.mode = "silent"
    started = asyncio.get_running_loop().time()
    assert await client.parse("hello") is None
    assert asyncio.get_running_loop().time() - started < 1.5
    assert client.stats.retries == 0  # a timeout has used up the time budget: no retry
    assert client.stats.last_error == "Timeout"
    await client.aclose()


def test_half_open_lets_one_probe_through_at_a_time(clock: Clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown=5.0, clock=clock)
    breaker.record_failure()
    assert not breaker.allow()
    clock.now += 5.0
    assert breaker.allow()
    assert not breaker.allow()  # a second caller while the probe is out
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()
