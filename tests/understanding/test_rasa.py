"""Against a real Rasa server trained on the fixture content (see conftest.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from bot.content.model import ContentBase
from bot.understanding.client import CircuitBreaker, RasaClient
from bot.understanding.policy import decide
from bot.understanding.service import NluProject, RasaUnavailable, server_status, start_rasa, train_model
from bot.understanding.understand import Understander, build_matcher, place_resolver

from .conftest import RasaServer

pytestmark = pytest.mark.rasa


def make_client(url: str, content: ContentBase, breaker: CircuitBreaker | None = None) -> RasaClient:
    return RasaClient(
        url, topic_ids=frozenset(content.topics), resolve_place=place_resolver(content), breaker=breaker
    )


def test_training_is_skipped_while_the_inputs_are_unchanged(
    nlu_project: NluProject, content: ContentBase, fixture_model: Path
) -> None:
    lines: list[str] = []
    started = time.monotonic()
    again = train_model(nlu_project, content, progress=lines.append)
    assert again == fixture_model
    assert time.monotonic() - started < 5
    assert any("up to date" in line for line in lines)


def test_server_reports_the_loaded_model(rasa_server: RasaServer) -> None:
    status = server_status(rasa_server.url)
    assert status is not None and status["model_file"] == rasa_server.model.name


def test_a_second_server_on_the_same_port_is_refused(rasa_server: RasaServer) -> None:
    with pytest.raises(RasaUnavailable, match="already answers"):
        start_rasa(
            rasa_server.project, rasa_server.model, rasa_server.url, log=rasa_server.log.with_name("x.log")
        )


# Questions that are not among the training examples.
QUESTIONS = [
    ("wo kann ich mich in osnabrück anmelden", "registration"),
    ("how do i register my new flat", "registration"),
    ("как зарегистрировать адрес", "registration"),
    ("jobcenter termin machen", "jobcenter"),
    ("who pays the rent when i lose my job", "jobcenter"),
    ("jobcentera nasıl başvururum", "jobcenter"),
    ("mein kind ist krank, welcher arzt", "health_care"),
    ("أحتاج دكتور لابني", "health_care"),
    ("es brennt in der küche", "emergency"),
    ("my friend is unconscious", "emergency"),
    ("guten morgen", "greet"),
    ("vielen lieben dank", "thanks"),
    ("ich will mit einem echten menschen reden", "ask_human"),
]


async def test_client_reads_real_rasa(rasa_server: RasaServer, content: ContentBase) -> None:
    client = make_client(rasa_server.url, content)
    try:
        wrong = []
        for text, intent in QUESTIONS:
            found = await client.parse(text)
            assert found is not None and found.source == "rasa"
            if found.intent != intent:
                wrong.append((text, intent, found.intent))
        assert not wrong
        jobcenter = await client.parse("wo ist das jobcenter in Ankum")
        assert jobcenter is not None and jobcenter.topic == "jobcenter"
        assert jobcenter.place == "sg_bersenbrueck"  # entity via lookup table + synonym -> region id
        moved = await client.parse("ich wohne jetzt in Georgsmarienhütte")
        assert moved is not None and (moved.intent, moved.place) == ("change_place", "georgsmarienhuette")
    finally:
        await client.aclose()


POLICY = [
    # (text, place known, action, topic)
    ("wo muss ich mich anmelden", False, "ask_place", "registration"),
    ("wo muss ich mich anmelden", True, "answer", "registration"),
    ("ich brauche einen arzt für mein kind", False, "answer", "health_care"),
    ("hallo", True, "smalltalk", None),
    ("kann ich bitte mit einer person sprechen", True, "handoff", None),
    ("jemand ist bewusstlos!", True, "emergency", "emergency"),
    ("mein mann schlägt mich", True, "emergency", "emergency"),
]


async def test_policy_on_real_readings(rasa_server: RasaServer, content: ContentBase) -> None:
    client = make_client(rasa_server.url, content)
    try:
        for text, place_known, action, topic in POLICY:
            found = await client.parse(text)
            decision = decide(found, text, language="de", place_known=place_known, content=content)
            assert (decision.action, decision.topic) == (action, topic), text
    finally:
        await client.aclose()


async def test_parse_latency(rasa_server: RasaServer, content: ContentBase) -> None:
    client = make_client(rasa_server.url, content)
    try:
        timings = []
        for text, _ in QUESTIONS * 2:
            started = time.perf_counter()
            assert await client.parse(text) is not None
            timings.append(time.perf_counter() - started)
        assert sorted(timings)[len(timings) // 2] < 0.2
    finally:
        await client.aclose()


async def test_degraded_mode_when_rasa_dies_and_recovery_when_it_returns(
    rasa_server: RasaServer, content: ContentBase, conversation_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.understanding")
    client = make_client(rasa_server.url, content, breaker=CircuitBreaker(failure_threshold=2, cooldown=0.5))
    understander = Understander(client, build_matcher(content, conversation_file), content)
    secret = "wo ist das jobcenter bitte"
    try:
        assert (await understander.understand(secret, language="de")).source == "rasa"

        rasa_server.stop()
        answers = [await understander.understand(secret, language="de") for _ in range(4)]
        assert [a.source for a in answers] == ["matcher"] * 4  # no message goes without a reading
        assert all(a.topic == "jobcenter" for a in answers)
        assert client.state == "open"
        assert client.stats.failures == 2 and client.stats.short_circuits == 2

        rasa_server.restart()
        await asyncio.sleep(0.6)  # the cool-down: the next call is the half-open probe
        back = await understander.understand(secret, language="de")
        assert back.source == "rasa" and back.topic == "jobcenter"
        assert client.breaker.state == "closed"
    finally:
        rasa_server.restart()
        await understander.aclose()

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if w.startswith("NLU degraded")]) == 1
    assert len([w for w in warnings if w.startswith("NLU recovered")]) == 1
    assert not any(secret in record.getMessage() for record in caplog.records)
    assert understander.stats.by_source == {"rasa": 2, "matcher": 4}
    assert understander.stats.degraded_periods == 1
