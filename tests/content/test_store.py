"""The running bot reloads content after an edit; an invalid edit never replaces the live content."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.content.store import ContentStore


def touch_edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_valid_edit_goes_live(content_dir: Path) -> None:
    store = ContentStore(content_dir)
    assert store.reload_if_changed() is False
    touch_edit(content_dir / "places" / "office_city.yaml", "City Office", "City Hall")
    assert store.reload_if_changed() is True
    assert store.current.places["office_city"].name == "City Hall"


def test_invalid_edit_keeps_last_good_content_and_logs(
    content_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = ContentStore(content_dir)
    before = store.current
    touch_edit(content_dir / "places" / "office_city.yaml", "0541 323-0", "ring ring")
    with caplog.at_level(logging.ERROR):
        assert store.reload_if_changed() is False
    assert store.current is before
    assert any("office_city.yaml" in str(p) and "malformed phone" in str(p) for p in store.problems)
    assert "content edit rejected" in caplog.text
