"""`wegweiser nlu …`, registered on a parser of our own (the lead wires it into bot/cli.py)."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from bot.understanding.commands import register


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="wegweiser")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


@pytest.fixture(autouse=True)
def fixture_content(monkeypatch: pytest.MonkeyPatch, fixture_content_dir: Path) -> None:
    monkeypatch.setenv("CONTENT_DIR", str(fixture_content_dir))


def test_subcommands_are_registered() -> None:
    parser = argparse.ArgumentParser(prog="wegweiser")
    register(parser.add_subparsers(dest="command", required=True))
    for argv in (["nlu", "train", "--force"], ["nlu", "serve"], ["nlu", "evaluate", "--json"]):
        assert callable(parser.parse_args(argv).handler)
    with pytest.raises(SystemExit):
        parser.parse_args(["nlu"])


def test_evaluate_matcher_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("nlu", "evaluate", "--matcher-only", "--json") == 0
    report = json.loads(capsys.readouterr().out)["matcher"]
    languages = report["by_language"]
    assert set(languages) == {"all", "de", "en", "uk", "ru", "ar", "tr", "fa", "ku"}
    overall = languages["all"]
    assert overall["examples"] == report["test_size"] > 0
    for key in ("topic_accuracy", "macro_f1", "emergency_recall", "out_of_scope_confident", "confused"):
        assert key in overall
    assert 0.5 <= overall["topic_accuracy"] <= 1.0
    newcomers = report["sets"]["newcomers"]  # its own section, per language
    assert set(newcomers["by_language"]) == set(languages)
    assert newcomers["by_language"]["all"]["examples"] == newcomers["test_size"] > 0


def test_evaluate_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("nlu", "evaluate", "--matcher-only") == 0
    out = capsys.readouterr().out
    assert out.startswith("matcher:")
    assert "emerg.recall%" in out and "most confused" in out
    assert "matcher, set newcomers:" in out and "matcher, set crisis:" in out
    assert "top-1 topic accuracy, split / crisis / journey / newcomers / situations" in out


def test_train_without_rasa_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    monkeypatch.setenv("WEGWEISER_RASA_BIN", "/nonexistent/rasa")
    assert run("nlu", "train") == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("wegweiser: no Rasa executable at /nonexistent/rasa")
    assert "\n" not in error


@pytest.mark.parametrize(
    "argv", [("nlu", "train"), ("nlu", "serve"), ("nlu", "evaluate", "--matcher-only")], ids=" ".join
)
def test_content_with_errors_is_one_line_and_exit_2(
    argv: tuple[str, ...],
    tmp_path: Path,
    fixture_content_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    content = shutil.copytree(fixture_content_dir, tmp_path / "content")
    (content / "catalogue.yaml").write_text("topics: [unclosed\n")
    monkeypatch.setenv("CONTENT_DIR", str(content))
    monkeypatch.setenv("WEGWEISER_RASA_BIN", "/nonexistent/rasa")  # nothing is trained or started
    assert run(*argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("wegweiser: the content has errors (") and error.count("\n") == 1, error
    assert "run 'wegweiser content check'" in error


@pytest.mark.parametrize(
    ("option", "says"),
    [
        (("--holdout", "nan"), "--holdout must be a share between 0 and 1, such as 0.2"),
        (("--holdout", "1.5"), "--holdout must be a share between 0 and 1, such as 0.2"),
        (("--holdout", "0"), "--holdout must be a share between 0 and 1, such as 0.2"),
        (("--config", "/nonexistent/config.yml"), "--config /nonexistent/config.yml is not a file"),
    ],
)
def test_evaluate_options_out_of_range_are_one_line_and_exit_2(
    option: tuple[str, str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("nlu", "evaluate", "--matcher-only", *option) == 2
    assert capsys.readouterr().err == f"wegweiser: nlu evaluate: {says}\n"
