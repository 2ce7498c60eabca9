"""Training the Rasa NLU model and running `rasa run --enable-api` as a child process.

Rasa 3.6 lives in its own Python 3.10 environment (`.venv-rasa`, see nlu/README.md); we only ever
call its `rasa` executable. Its location: WEGWEISER_RASA_BIN, else <project root>/.venv-rasa/bin/rasa.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bot.content.loader import load
from bot.content.model import ContentBase
from bot.settings import PROJECT_ROOT, Settings
from bot.understanding import crisis
from bot.understanding.training import (
    Example,
    all_examples,
    fingerprint,
    write_training_data,
)

RASA_BIN_VARIABLE = "WEGWEISER_RASA_BIN"
MODEL_PREFIX = "nlu-"
KEEP_MODELS = 3
# Our own Rasa components (config.yml names them by module path): on Rasa's PYTHONPATH, and part of
# the model fingerprint, so that changing their code retrains.
COMPONENTS_DIR = PROJECT_ROOT / "nlu" / "components"
READY_TIMEOUT = 180.0  # seconds; loading a model takes ~20 s on two cores, more under load

Progress = Callable[[str], None]


class NluError(RuntimeError):
    """Something about the NLU service failed; the message is one line an operator can act on."""


class RasaUnavailable(NluError):
    """Rasa cannot be started or does not answer."""


class TrainingFailed(NluError):
    """`rasa train nlu` exited with an error."""


@dataclass(frozen=True)
class NluProject:
    """Where the Rasa project's files are: the repository's nlu/ folder, or a test's copy."""

    root: Path
    rasa_bin: Path

    @classmethod
    def default(cls) -> NluProject:
        return cls(root=PROJECT_ROOT / "nlu", rasa_bin=default_rasa_bin())

    @property
    def config(self) -> Path:
        return self.root / "config.yml"

    @property
    def conversation_file(self) -> Path:
        return self.root / "data" / "conversation.yml"

    @property
    def generated_dir(self) -> Path:
        return self.root / "data" / "generated"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"


def default_rasa_bin() -> Path:
    configured = os.environ.get(RASA_BIN_VARIABLE)
    return Path(configured) if configured else PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"


def rasa_environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(
        RASA_TELEMETRY_ENABLED="false",  # never phone home (and there is no internet here)
        RASA_MAX_CACHE_SIZE="0",  # no training cache in the working directory
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONWARNINGS="ignore",
        PYTHONPATH=os.pathsep.join(filter(None, [str(COMPONENTS_DIR), environment.get("PYTHONPATH")])),
    )
    return environment


def rasa_version(rasa_bin: Path) -> str:
    """Rasa's version, read from its installed metadata (running `rasa --version` takes seconds)."""
    venv = rasa_bin.resolve().parent.parent
    for dist_info in sorted(venv.glob("lib/python3*/site-packages/rasa-*.dist-info")):
        return dist_info.name.removeprefix("rasa-").removesuffix(".dist-info")
    return "unknown"


def _require_rasa(rasa_bin: Path) -> None:
    if not rasa_bin.exists():
        raise RasaUnavailable(
            f"no Rasa executable at {rasa_bin}: build .venv-rasa from nlu/requirements.txt "
            f"or set {RASA_BIN_VARIABLE}"
        )


def component_sources() -> list[Path]:
    return sorted(COMPONENTS_DIR.glob("*.py"))


def model_path(models_dir: Path, print_: str) -> Path:
    return models_dir / f"{MODEL_PREFIX}{print_}.tar.gz"


def newest_model(models_dir: Path) -> Path | None:
    models = sorted(models_dir.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def _prune_models(models_dir: Path, keep: Path) -> None:
    models = sorted(models_dir.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime)
    for old in models[:-KEEP_MODELS]:
        if old != keep:
            old.unlink()


def train_model(
    project: NluProject,
    content: ContentBase,
    *,
    examples: Sequence[Example] | None = None,
    config: Path | None = None,
    models_dir: Path | None = None,
    data_dir: Path | None = None,
    force: bool = False,
    progress: Progress = print,
) -> Path:
    """Train unless a model for exactly these inputs exists; return the model's path.

    `examples` defaults to everything (content topics + conversation intents); evaluation passes its
    training split, and its own `config`, `models_dir` and `data_dir` so the real model stays untouched.
    """
    _require_rasa(project.rasa_bin)
    # Absolute paths: Rasa runs in the models folder.
    config = (config or project.config).resolve()
    models_dir = (models_dir or project.models_dir).resolve()
    if examples is None:
        examples = all_examples(content, project.conversation_file)
    data = write_training_data(examples, content, (data_dir or project.generated_dir).resolve())
    print_ = fingerprint(data, config, rasa_version(project.rasa_bin), components=component_sources())
    target = model_path(models_dir, print_)
    if target.exists() and not force:
        progress(f"NLU model is up to date: {target.name}")
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    progress(f"training NLU model {target.name} on {len(examples)} examples ({config.name}) …")
    started = time.monotonic()
    command = [
        str(project.rasa_bin), "train", "nlu",
        "--config", str(config),
        "--nlu", str(data),
        "--out", str(models_dir),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
        "--num-threads", str(os.cpu_count() or 2),
    ]  # fmt: skip
    _run_with_progress(command, cwd=models_dir, log=models_dir / "train.log", progress=progress)
    if not target.exists():
        raise TrainingFailed(f"rasa train finished but wrote no {target}; see {models_dir / 'train.log'}")
    progress(f"trained {target.name} in {time.monotonic() - started:.0f} s")
    _prune_models(models_dir, keep=target)
    return target


_EPOCHS = re.compile(r"Epochs:\s+(\d+)%")
_COMPONENT = re.compile(r"Starting to train component '(\w+)'")


def _run_with_progress(command: list[str], *, cwd: Path, log: Path, progress: Progress) -> None:
    """Run Rasa, keep its full output in `log`, and report components and every 10 % of epochs."""
    last_lines: deque[str] = deque(maxlen=5)
    reported = -10
    with (
        log.open("w", encoding="utf-8") as log_file,
        subprocess.Popen(
            command, cwd=cwd, env=rasa_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        ) as process,
    ):
        assert process.stdout is not None
        pending = b""
        while chunk := process.stdout.read1(4096):  # type: ignore[attr-defined]
            pending += chunk
            # tqdm redraws with carriage returns: both \r and \n end a line for us.
            *lines, pending = re.split(rb"[\r\n]", pending)
            for raw in lines:
                line = raw.decode("utf-8", "replace").strip()
                if not line:
                    continue
                log_file.write(line + "\n")
                last_lines.append(line)
                if component := _COMPONENT.search(line):
                    progress(f"  training {component.group(1)}")
                elif (epochs := _EPOCHS.search(line)) and int(epochs.group(1)) >= reported + 10:
                    reported = int(epochs.group(1)) // 10 * 10
                    progress(f"  epochs {reported} %")
        code = process.wait()
    if code != 0:
        detail = next((line for line in reversed(last_lines) if line), "no output")
        raise TrainingFailed(f"rasa train nlu failed (exit {code}): {detail[:200]}; see {log}")


def train(settings: Settings, *, force: bool = False, progress: Progress = print) -> Path:
    """Train the project's model and the semantic safety net from the content base when their inputs
    changed; the Rasa model's path."""
    project, content = NluProject.default(), load(settings.content_dir)
    model = train_model(project, content, force=force, progress=progress)
    examples = all_examples(content, project.conversation_file)
    crisis.train(content, examples, crisis.default_models_dir(), force=force, progress=progress)
    return model


def host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)


def server_status(url: str, *, timeout: float = 1.0) -> dict[str, object] | None:
    """Rasa's GET /status, or None when nothing (or not Rasa) answers."""
    try:
        response = httpx.get(url.rstrip("/") + "/status", timeout=timeout)
        found = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def start_rasa(
    project: NluProject, model: Path, url: str, *, log: Path, timeout: float = READY_TIMEOUT
) -> subprocess.Popen[bytes]:
    """Start `rasa run --enable-api` with `model` on the host and port of `url`; return once it
    answers GET /status with a loaded model. Raises RasaUnavailable with one line otherwise."""
    _require_rasa(project.rasa_bin)
    if server_status(url) is not None:
        raise RasaUnavailable(f"something already answers at {url}: stop it or change RASA_URL")
    host, port = host_and_port(url)
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(project.rasa_bin), "run", "--enable-api",
        "--model", str(model),
        "--interface", host,
        "--port", str(port),
    ]  # fmt: skip
    with log.open("wb") as log_file:
        # A session of its own, so that stopping it also stops anything Rasa started.
        process = subprocess.Popen(
            command,
            cwd=model.parent,
            env=rasa_environment(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RasaUnavailable(
                f"Rasa exited with code {process.returncode} while starting: {_last_line(log)}"
            )
        status = server_status(url)
        if status and status.get("model_file"):
            return process
        time.sleep(0.5)
    stop_server(process)
    raise RasaUnavailable(f"Rasa did not answer at {url} within {timeout:.0f} s; see {log}")


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def start_server(settings: Settings, *, progress: Progress = lambda line: None) -> subprocess.Popen[bytes]:
    """Train if needed, then start Rasa on RASA_URL; returns once it answers with a loaded model."""
    model = train(settings, progress=progress)
    return start_rasa(NluProject.default(), model, str(settings.rasa_url), log=settings.var_dir / "rasa.log")


def stop_server(process: subprocess.Popen[bytes], *, grace: float = 15.0) -> None:
    """Stop Rasa (and its process group): SIGTERM, then SIGKILL after `grace` seconds."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()
