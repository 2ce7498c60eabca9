"""Content files an attacker (or a careless copy) could leave in content/: each is refused with
`file:line: problem`, in bounded memory and without hanging, and the running bot keeps its last good
content.

The checks run in a child process with an address-space limit and a timeout, so that a regression
fails the test instead of eating the machine's memory or hanging the suite.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.content import store as store_module
from bot.content.lines import MAX_FILE_BYTES
from bot.content.store import ContentStore
from tests.content.test_store import touch_edit

# The child gives up (MemoryError) long before a bomb could take the machine down.
GUARD = "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
WEGWEISER = GUARD + "from bot.cli import main; sys.exit(main(sys.argv[1:]))"
MEASURED_CHECK = (
    GUARD
    + "import json, tracemalloc; from pathlib import Path; from bot.content.loader import check; "
    + "tracemalloc.start(); content, problems = check(Path(sys.argv[1])); "
    + "print(json.dumps({'peak': tracemalloc.get_traced_memory()[1], "
    + "'errors': [str(p) for p in problems if p.severity == 'error']}))"
)


def run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, check=False
    )


def content_check(directory: Path) -> subprocess.CompletedProcess[str]:
    return run(WEGWEISER, "content", "check", str(directory))


def billion_laughs(levels: int = 9) -> str:
    """Nine strings, nine lists of nine of those, and so on: 9**9 strings once expanded."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_its_line_in_bounded_memory(content_dir: Path) -> None:
    topic = content_dir / "topics" / "registration.yaml"
    text = topic.read_text("utf-8")
    bomb_line = text.count("\n") + 1
    topic.write_text(text + billion_laughs() + "bomb: *l8\n", "utf-8")

    result = run(MEASURED_CHECK, str(content_dir))

    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert f"content/topics/registration.yaml:{bomb_line}: YAML anchors and aliases" in "\n".join(
        report["errors"]
    )
    assert report["peak"] < 20_000_000, report["peak"]  # bytes; the bomb would need gigabytes


def test_an_anchor_or_an_alias_alone_is_refused_too(content_dir: Path) -> None:
    hotline = content_dir / "places" / "hotline.yaml"
    hotline.write_text(hotline.read_text("utf-8").replace("name: Notruf 112", "name: &n Notruf 112"))
    city = content_dir / "places" / "office_city.yaml"
    city.write_text(city.read_text("utf-8").replace("name: City Office", "name: *n"))
    result = content_check(content_dir)
    assert result.returncode == 1
    assert "content/places/hotline.yaml:2: YAML anchors and aliases (&n) are not allowed" in result.stdout
    assert "content/places/office_city.yaml:2: YAML anchors and aliases (*n) are not allowed" in result.stdout


def test_deep_nesting_is_refused_instead_of_crashing_the_process(content_dir: Path) -> None:
    (content_dir / "places" / "deep.yaml").write_text("id: deep\nname: " + "[" * 100_000 + "]" * 100_000)
    result = content_check(content_dir)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "content/places/deep.yaml:2: nested more than 40 levels deep" in result.stdout


def test_a_huge_number_is_reported_not_a_traceback(content_dir: Path) -> None:
    topic = content_dir / "topics" / "registration.yaml"
    topic.write_text(topic.read_text("utf-8").replace("version: 2", "version: " + "9" * 5000, 1))
    result = content_check(content_dir)
    assert (result.returncode, result.stderr.count("Traceback")) == (1, 0), result.stderr[-2000:]
    assert "content/topics/registration.yaml:" in result.stdout and "number" in result.stdout


@pytest.mark.parametrize(("escape", "shown"), [("\\x00", "'\\x00'"), ("\\e", "'\\x1b'")])
def test_text_no_channel_can_send_is_refused_at_its_line(content_dir: Path, escape: str, shown: str) -> None:
    place = content_dir / "places" / "office_city.yaml"
    place.write_text(place.read_text("utf-8").replace("name: City Office", f'name: "City{escape}Office"'))
    result = content_check(content_dir)
    assert result.returncode == 1
    expected = f"content/places/office_city.yaml:2: text with a control character or lone surrogate ({shown})"
    assert expected in result.stdout, result.stdout


def write_hostile(content_dir: Path, kind: str) -> Path:
    path = content_dir / "places" / "x.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "link loop":
        path.symlink_to(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "link out of the content folder":
        outside = content_dir.parent / "outside.yaml"
        outside.write_text("id: x\n")
        path.symlink_to(outside)
    elif kind == "too large":
        path.write_text("id: x\nname: " + "x" * MAX_FILE_BYTES + "\n")
    return path


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("fifo", "not a regular file"),
        ("link to /dev/zero", "points outside the content folder"),
        ("link loop", "cannot be read"),
        ("directory", "not a regular file"),
        ("link out of the content folder", "points outside the content folder"),
        ("too large", "larger than 1 MB"),
    ],
)
def test_what_is_not_a_small_regular_file_in_the_content_folder_is_refused(
    content_dir: Path, kind: str, says: str
) -> None:
    write_hostile(content_dir, kind)
    result = content_check(content_dir)  # a hang would end in TimeoutExpired, not a stuck suite
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 1
    assert f"content/places/x.yaml:1: {says}" in result.stdout


def test_a_missing_catalogue_is_reported_not_a_traceback(content_dir: Path) -> None:
    (content_dir / "catalogue.yaml").unlink()
    result = content_check(content_dir)
    assert (result.returncode, result.stderr.count("Traceback")) == (1, 0), result.stderr[-2000:]
    assert "content/catalogue.yaml:1: cannot be read" in result.stdout


def test_an_alias_bomb_edit_is_rejected_by_the_running_bot_and_the_next_good_edit_goes_live(
    content_dir: Path,
) -> None:
    store = ContentStore(content_dir)
    before = store.current
    place = content_dir / "places" / "office_city.yaml"
    touch_edit(place, "name: City Office", billion_laughs() + "name: *l8")
    assert store.reload_if_changed() is False
    assert store.current is before
    assert any("YAML anchors and aliases" in str(p) for p in store.problems)
    touch_edit(place, billion_laughs() + "name: *l8", "name: City Hall")
    assert store.reload_if_changed() is True
    assert store.current.places["office_city"].name == "City Hall"


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(2000):  # a guard against hanging, not a measure of speed
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never came true")


async def test_the_watcher_survives_a_failed_reload_and_loads_the_next_good_edit(
    content_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = ContentStore(content_dir)
    good_check = store_module.check

    def out_of_memory(directory: Path) -> object:
        raise MemoryError

    monkeypatch.setattr(store_module, "check", out_of_memory)
    watcher = asyncio.create_task(store.watch(interval=0.01))
    place = content_dir / "places" / "office_city.yaml"
    with caplog.at_level(logging.ERROR):
        touch_edit(place, "City Office", "City Hall")
        await until(lambda: "content reload failed" in caplog.text)
    assert store.current.places["office_city"].name == "City Office"  # the last good content
    failures = [r for r in caplog.records if "content reload failed" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is None  # one line, no traceback
    assert failures[0].reason == "MemoryError"  # type: ignore[attr-defined]

    monkeypatch.setattr(store_module, "check", good_check)
    touch_edit(place, "City Hall", "Town Hall")
    await until(lambda: store.current.places["office_city"].name == "Town Hall")
    assert not watcher.done()
    watcher.cancel()
