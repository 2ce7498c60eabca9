"""The live content: reloaded after an edit, and never replaced by an invalid one."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.content.loader import ContentError, Problem, check
from bot.content.model import ContentBase

log = logging.getLogger(__name__)


def _fingerprint(directory: Path) -> tuple[tuple[str, int, int], ...]:
    found = []
    for path in directory.rglob("*.yaml"):
        try:
            stat = path.stat()
        except OSError:  # gone since the listing, or a link to nowhere: check() reports what matters
            continue
        found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(found))


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

    def reload_safely(self) -> bool:
        """`reload_if_changed()` that never ends the watcher: a failure is one log line, and the
        last good content stays live until the next edit is tried."""
        try:
            return self.reload_if_changed()
        except Exception as error:  # whatever it was, the bot must keep its content and its watcher
            log.error(  # one line without a traceback; content files hold no personal data
                "content reload failed; the last good content stays live",
                extra={"reason": f"{type(error).__name__}: {error}".removesuffix(": ")[:300]},
            )
            return False

    async def watch(self, interval: float = 2.0) -> None:
        while True:
            await asyncio.sleep(interval)
            await asyncio.to_thread(self.reload_safely)
