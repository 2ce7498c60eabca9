"""The live content: reloaded after an edit, and never replaced by an invalid one."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.content.loader import ContentError, Problem, check
from bot.content.model import ContentBase

log = logging.getLogger(__name__)


def _fingerprint(directory: Path) -> tuple[tuple[str, int, int], ...]:
    stats = ((str(path), path.stat()) for path in directory.rglob("*.yaml") if path.is_file())
    return tuple(sorted((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats))


class ContentStore:
    """Holds the last good content base; `reload_if_changed()` swaps in a new one only when valid."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        content, problems = check(directory)
        if content is None:
            raise ContentError(problems)
        self.current: ContentBase = content
        self.problems: list[Problem] = problems  # problems of the newest attempt, shown to editors
        self._seen = _fingerprint(directory)

    def reload_if_changed(self) -> bool:
        """True when new content went live."""
        fingerprint = _fingerprint(self.directory)
        if fingerprint == self._seen:
            return False
        self._seen = fingerprint
        content, problems = check(self.directory)
        self.problems = problems
        if content is None:
            errors = [p for p in problems if p.severity == "error"]
            log.error(
                "content edit rejected; the last good content stays live",
                extra={"errors": len(errors), "first_problem": str(errors[0])},
            )
            return False
        self.current = content
        log.info("content reloaded", extra={"topics": len(content.topics), "places": len(content.places)})
        return True

    async def watch(self, interval: float = 2.0) -> None:
        while True:
            await asyncio.sleep(interval)
            await asyncio.to_thread(self.reload_if_changed)
