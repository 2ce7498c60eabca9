"""`wegweiser run`: ready state on embedded defaults, and one line + exit 2 for what operators must fix."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.serving import free_port


def environment(tmp_path: Path, content_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "CONTENT_DIR": str(content_dir),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        "WEB_PORT": str(free_port()),
        **extra,
    }


def wegweiser(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.fixture
def running(tmp_path: Path, content_dir: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    env = environment(tmp_path, content_dir)
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=tmp_path, check=True, capture_output=True
    )
    process = wegweiser("run", "--no-nlu", env=env, cwd=tmp_path)
    yield process, int(env["WEB_PORT"])
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


def wait_for_health(port: int, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the web server never answered")


def test_run_serves_the_web_port_and_stops_on_ctrl_c(running: tuple[subprocess.Popen[str], int]) -> None:
    process, port = running
    response = wait_for_health(port, process)
    assert response.status_code == 200
    assert response.json()["database"] is True and response.json()["topics"] == 2
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert f"http://127.0.0.1:{port}/" in stdout
    assert "TELEGRAM_BOT_TOKEN" in stdout  # says how to switch Telegram on


def test_taken_port_is_one_line_and_exit_2(tmp_path: Path, content_dir: Path) -> None:
    with socket.socket() as occupant:
        occupant.bind(("127.0.0.1", 0))
        occupant.listen()
        port = occupant.getsockname()[1]
        env = environment(tmp_path, content_dir, WEB_PORT=str(port))
        process = wegweiser("run", "--no-nlu", env=env, cwd=tmp_path)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert (
        stderr.strip()
        == f"wegweiser: cannot listen on 127.0.0.1:{port} (Address already in use): stop what uses it or set WEB_PORT"
    )


def test_unreachable_database_is_one_line_and_exit_2(tmp_path: Path, content_dir: Path) -> None:
    env = environment(
        tmp_path, content_dir, DATABASE_URL=f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/none"
    )
    process = wegweiser("run", "--no-nlu", env=env, cwd=tmp_path)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stderr.count("\n") == 1
    assert stderr.startswith("wegweiser: cannot reach the database at postgresql+asyncpg://nobody@127.0.0.1:")
    assert "fix DATABASE_URL" in stderr


def test_a_database_never_migrated_is_one_line_and_exit_2(tmp_path: Path, content_dir: Path) -> None:
    # It answers, but every message would fail on a missing table while /healthz said all is well.
    process = wegweiser("run", "--no-nlu", env=environment(tmp_path, content_dir), cwd=tmp_path)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stderr.count("\n") == 1
    assert "has schema revision none, this version needs 0007" in stderr
    assert "run `wegweiser db upgrade`" in stderr


def test_invalid_content_is_one_line_and_exit_2(tmp_path: Path, content_dir: Path) -> None:
    (content_dir / "topics" / "emergency.yaml").write_text("id: emergency\nversion: [\n", "utf-8")
    process = wegweiser("run", "--no-nlu", env=environment(tmp_path, content_dir), cwd=tmp_path)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "emergency.yaml:" in stderr and "wegweiser content check" in stderr
