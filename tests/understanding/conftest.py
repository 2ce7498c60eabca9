"""Fixtures of the understanding tests: the fixture content base, and a real Rasa server trained on it.

The Rasa fixture trains the project's real pipeline (nlu/config.yml) on the fixture content's four
topics plus the real conversation intents, and starts `rasa run --enable-api` on a free loopback
port. The model is kept in pytest's cache folder and reused while its fingerprint holds, so only the
first run (and CI's fresh clone) pays for training. Without a Rasa executable the Rasa tests are
skipped locally and fail in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.content.loader import load
from bot.content.model import ContentBase
from bot.settings import PROJECT_ROOT
from bot.understanding.evaluation import free_port
from bot.understanding.service import NluProject, default_rasa_bin, start_rasa, stop_server, train_model

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixture_content_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture content (four topics), with the real crisis statements every content base needs."""
    directory = tmp_path_factory.mktemp("understanding") / "content"
    shutil.copytree(FIXTURES / "content", directory)
    shutil.copytree(PROJECT_ROOT / "content" / "safety", directory / "safety")
    return directory


@pytest.fixture(scope="session")
def content(fixture_content_dir: Path) -> ContentBase:
    return load(fixture_content_dir)


@pytest.fixture(scope="session")
def conversation_file() -> Path:
    return PROJECT_ROOT / "nlu" / "data" / "conversation.yml"


@dataclass
class RasaServer:
    """The running test server; a test that stops it must call `restart()` before it ends."""

    project: NluProject
    model: Path
    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        stop_server(self.process)

    def restart(self) -> None:
        if self.process.poll() is None:
            return
        self.process = start_rasa(self.project, self.model, self.url, log=self.log)


@pytest.fixture(scope="session")
def nlu_project(
    request: pytest.FixtureRequest, conversation_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> NluProject:
    rasa_bin = default_rasa_bin()
    if not rasa_bin.exists():
        message = f"no Rasa at {rasa_bin}: build .venv-rasa or set WEGWEISER_RASA_BIN"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    root = Path(cache.mkdir("wegweiser-nlu-fixture")) if cache else tmp_path_factory.mktemp("nlu")
    (root / "data").mkdir(exist_ok=True)
    shutil.copy(PROJECT_ROOT / "nlu" / "config.yml", root / "config.yml")
    shutil.copy(conversation_file, root / "data" / "conversation.yml")
    return NluProject(root=root, rasa_bin=rasa_bin)


@pytest.fixture(scope="session")
def fixture_model(nlu_project: NluProject, content: ContentBase) -> Path:
    return train_model(nlu_project, content, progress=lambda line: None)


@pytest.fixture(scope="session")
def rasa_server(
    nlu_project: NluProject, fixture_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RasaServer]:
    url = f"http://127.0.0.1:{free_port()}"
    log = tmp_path_factory.mktemp("rasa") / "rasa.log"
    server = RasaServer(
        nlu_project, fixture_model, url, log, start_rasa(nlu_project, fixture_model, url, log=log)
    )
    yield server
    server.stop()
