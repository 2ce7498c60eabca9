"""The Rasa client and its circuit breaker, against an in-process fake transport (no network)."""

from __future__ import annotations

import json

import httpx
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
    """Answers like Rasa's /model/parse, or fails the way a dead or sick server fails."""

    def __init__(self) -> None:
        self.mode = "up"  # up | refused | error | garbage
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        assert request.url.path == "/model/parse"
        if self.mode == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "error":
            return httpx.Response(500, json={"error": "boom"})
        if self.mode == "garbage":
            return httpx.Response(200, content=b"<html>")
        text = json.loads(request.content)["text"]
        return httpx.Response(200, json=parse_result("jobcenter" if "job" in text else "greet", 0.9, "Melle"))


def state_of(client: RasaClient) -> str:
    # Read through a function: mypy would otherwise keep the first narrowed value of the property.
    return client.state


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(fake: FakeRasa, clock: Clock) -> RasaClient:
    return RasaClient(
        "http://rasa.test",
        topic_ids=TOPICS,
        resolve_place=lambda value: "melle" if value == "Melle" else None,
        breaker=CircuitBreaker(failure_threshold=3, cooldown=10.0, clock=clock),
        transport=httpx.MockTransport(fake),
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


async def test_refused_connections_are_retried_once_then_given_up(client: RasaClient, fake: FakeRasa) -> None:
    fake.mode = "refused"
    assert await client.parse("hello") is None
    assert fake.calls == 2  # one retry
    assert client.stats.retries == 1 and client.stats.failures == 1
    assert client.stats.last_error == "ConnectError"
    await client.aclose()


async def test_server_errors_and_garbage_count_as_failures(client: RasaClient, fake: FakeRasa) -> None:
    fake.mode = "error"
    assert await client.parse("hello") is None
    fake.mode = "garbage"
    assert await client.parse("hello") is None
    assert client.stats.failures == 2 and client.stats.retries == 0
    await client.aclose()


async def test_breaker_opens_probes_and_closes(client: RasaClient, fake: FakeRasa, clock: Clock) -> None:
    fake.mode = "refused"
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


async def test_slow_server_times_out_within_a_second() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client = RasaClient("http://rasa.test", topic_ids=TOPICS, transport=httpx.MockTransport(slow))
    assert await client.parse("hello") is None
    assert client.stats.retries == 0  # a timeout has used up the time budget: no retry
    assert client.stats.last_error == "ReadTimeout"
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


async def test_a_server_that_never_answers_costs_at_most_about_a_second() -> None:
    import asyncio
    import time

    connections: list[asyncio.StreamWriter] = []
    release = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await release.wait()  # accept the request, never answer it
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = RasaClient(f"http://127.0.0.1:{port}", topic_ids=TOPICS)
    started = time.monotonic()
    assert await client.parse("hello") is None
    assert time.monotonic() - started < 1.5
    assert client.stats.last_error == "ReadTimeout"
    await client.aclose()
    release.set()
    server.close()
    await server.wait_closed()
    await asyncio.sleep(0.01)  # let the handler close its side
    assert connections
