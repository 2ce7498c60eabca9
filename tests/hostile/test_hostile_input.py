"""Hostile input, generated: every message, button, request body and content edit gets a clear
answer or a clear error, never a crash and never silence."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.loader import check
from bot.conversation.messages import MAX_ACTION_BYTES, Incoming
from bot.settings import Settings
from bot.storage import migrate
from bot.storage.database import Database
from bot.web.chat import mount_chat
from tests.conftest import write_content
from tests.support.chat import build_conversation

# Letters of our eight languages, right-to-left text, bidi and zero-width controls, emoji, and
# whatever else Unicode has (surrogates excluded: they cannot travel in UTF-8).
TRICKY = "\u200b\u200c\u200d\u200e\u200f\u2066\u2067\u2068\u2069\u202e\ufeff\u0000<>&\"'`;%"
texts = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=300),
    st.text(st.sampled_from("абвгдеєіїґ ابتثجحخ پچژگ ğüşıöç êîûçş äöüß" + TRICKY), max_size=300),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=4000, max_size=10_000),
)
HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class Harness:
    """A conversation on its own SQLite database, driven from synchronous hypothesis tests."""

    def __init__(self, tmp: Path) -> None:
        self.runner = asyncio.Runner()
        url = f"sqlite+aiosqlite:///{tmp / 'hostile.db'}"
        migrate.upgrade(url)
        self.database = Database(url)
        self.conversation = build_conversation(
            self.database,
            write_content(tmp / "content"),
            lambda: datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
            retention_days=30,
        )
        self.settings = Settings(CONTENT_DIR=tmp / "content")
        self.sent = 0

    def handle(self, kind: str, text: str) -> list[str]:
        self.sent += 1
        incoming = Incoming("telegram", "4711", kind, text, "uk", key=f"telegram:{self.sent}")  # type: ignore[arg-type]
        deliveries = self.runner.run(self.conversation.handle(incoming))
        return [d.reply.text for d in deliveries]

    def close(self) -> None:
        self.runner.run(self.conversation.understander.aclose())
        self.runner.run(self.database.dispose())
        self.runner.close()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    built = Harness(tmp_path)
    yield built
    built.close()


@HYPOTHESIS
@given(text=texts)
def test_any_message_gets_a_reply(harness: Harness, text: str) -> None:
    replies = harness.handle("text", text)
    assert replies and all(reply.strip() for reply in replies)


@HYPOTHESIS
@given(
    action=st.one_of(
        st.text(max_size=40),
        st.builds(
            lambda name, rest: f"{name}:{rest}",
            st.sampled_from(["lang", "place", "topic", "cat", "fb", "rate", "delete", "human", "menu"]),
            st.text(max_size=30),
        ),
    ).filter(lambda action: 0 < len(action.encode()) <= MAX_ACTION_BYTES)
)
def test_any_button_data_gets_a_reply(harness: Harness, action: str) -> None:
    replies = harness.handle("button", action)
    assert replies and all(reply.strip() for reply in replies)


@HYPOTHESIS
@given(command=st.text(max_size=50).map(lambda text: "/" + text))
def test_any_command_gets_a_reply(harness: Harness, command: str) -> None:
    assert harness.handle("command", command)


@HYPOTHESIS
@given(
    body=st.one_of(
        st.dictionaries(
            st.sampled_from(["session", "id", "kind", "text", "x"]),
            st.one_of(st.text(max_size=80), st.integers(), st.none(), st.lists(st.integers(), max_size=3)),
        ),
        st.fixed_dictionaries(
            {
                "session": st.just("a" * 20),
                "id": st.text(st.sampled_from("abcdef0123456789-"), min_size=16, max_size=64),
                "kind": st.sampled_from(["text", "command", "button"]),
                "text": texts,
            }
        ),
    )
)
def test_any_web_chat_request_gets_an_answer_or_a_clear_error(
    harness: Harness, body: dict[str, object]
) -> None:
    app = FastAPI()
    mount_chat(app, harness.conversation, harness.database, harness.settings)

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://chat"
        ) as client:
            return await client.post("/api/chat/send", json=body)

    response = harness.runner.run(send())
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        assert isinstance(response.json()["replies"], list)
    else:
        assert response.json()["detail"]


@pytest.fixture(scope="module")
def pristine_content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_content(tmp_path_factory.mktemp("pristine") / "content")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_edit_of_a_content_file_is_loaded_or_reported_with_file_and_line(
    pristine_content: Path, tmp_path: Path, data: st.DataObject
) -> None:
    directory = Path(tempfile.mkdtemp(dir=tmp_path)) / "content"
    shutil.copytree(pristine_content, directory)
    files = sorted(directory.rglob("*.yaml"))
    target = data.draw(st.sampled_from(files))
    lines = target.read_text("utf-8").splitlines(keepends=True)
    edit = data.draw(st.sampled_from(["delete", "insert", "replace", "truncate", "indent"]))
    where = data.draw(st.integers(0, max(0, len(lines) - 1)))
    noise = data.draw(st.text(st.sampled_from("abc: -[]{}#&*!|>'\"\t\n0123456789äß\u200f"), max_size=30))
    if edit == "delete" and lines:
        del lines[where]
    elif edit == "insert":
        lines.insert(where, noise + "\n")
    elif edit == "replace" and lines:
        lines[where] = noise + "\n"
    elif edit == "truncate":
        lines = lines[:where]
    elif lines:
        lines[where] = "   " + lines[where]
    target.write_text("".join(lines), "utf-8")

    content, problems = check(directory)
    if content is None:
        errors = [p for p in problems if p.severity == "error"]
        assert errors
        for problem in errors:
            assert problem.path and problem.line >= 0 and problem.message
            assert str(problem).startswith(f"{problem.path}:{problem.line}: ")


def test_a_topic_file_cut_off_inside_a_translation_is_reported(
    pristine_content: Path, tmp_path: Path
) -> None:
    """Found by the property above: the duplicate-example check read a translation's examples blindly."""
    directory = tmp_path / "content"
    shutil.copytree(pristine_content, directory)
    target = directory / "topics" / "emergency.yaml"
    lines = target.read_text("utf-8").splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if line.strip().startswith("examples:") and i > 40)
    target.write_text("".join(lines[: cut + 1]), "utf-8")
    content, problems = check(directory)
    assert content is None
    assert any(p.path.endswith("emergency.yaml") for p in problems if p.severity == "error")
