"""YAML that remembers where each value stood, so editors get `file:line` in every message."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer


class LineDict(dict[str, Any]):
    """A mapping that knows the line of itself and of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


MAX_FILE_BYTES = 1_000_000  # per content file; the largest today has about 60 kB
MAX_DEPTH = 40  # levels of nesting; content files use fewer than ten
MAX_NUMBER_LENGTH = 40  # characters; a longer "number" is no content, only work for the parser

_CLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 5x faster


class FileProblem(ValueError):
    """A content file that cannot be read as content; `line` is where the problem stands."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


class _Loader(Composer, _CLoader):  # type: ignore[misc,valid-type]
    """libyaml's parser with Python's composer, which refuses what content never needs.

    Anchors and aliases let a few lines expand to gigabytes (the "billion laughs"), and libyaml's own
    composer crashes the process on very deep nesting; editors get the line instead.
    """

    def __init__(self, stream: str) -> None:
        _CLoader.__init__(self, stream)
        Composer.__init__(self)
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
            raise FileProblem(
                event.start_mark.line + 1,
                f"YAML anchors and aliases ({sign}{event.anchor}) are not allowed: write the value out",
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise FileProblem(event.start_mark.line + 1, f"nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[str(key)] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _bounded_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    if len(node.value) > MAX_NUMBER_LENGTH:
        raise FileProblem(node.start_mark.line + 1, f"a number of more than {MAX_NUMBER_LENGTH} digits")
    return loader.construct_yaml_int(node)  # type: ignore[no-any-return]


# Escapes such as "\x00" or "\e" make text that no channel should send (PostgreSQL refuses NUL,
# control characters garble a chat; lone surrogates, which the pure-Python parser would let through,
# cannot be sent at all): the editor hears of it here, not a user from a failed reply.
_UNSENDABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _sendable_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    value = str(loader.construct_scalar(node))
    if found := _UNSENDABLE.search(value):
        raise FileProblem(
            node.start_mark.line + 1, f"text with a control character or lone surrogate ({found.group()!r})"
        )
    return value


def _string_date(loader: _Loader, node: yaml.ScalarNode) -> str:
    # Dates stay text: the content model parses them with the precision the source had.
    return str(loader.construct_scalar(node))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
_Loader.add_constructor("tag:yaml.org,2002:int", _bounded_int)
_Loader.add_constructor("tag:yaml.org,2002:str", _sendable_text)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _string_date)


def read_text(path: Path, root: Path) -> str:
    """The text of `path`, if it is a regular file of at most MAX_FILE_BYTES inside `root`.

    A FIFO would block the reader, a device such as /dev/zero never ends, and a link out of the
    content folder would publish another file: each is refused before a byte is read.
    """
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop
        reason = error.strerror if isinstance(error, OSError) else "a symbolic link that loops"
        raise FileProblem(1, f"cannot be read ({reason})") from None
    if not real.is_relative_to(root.resolve()):
        raise FileProblem(1, "points outside the content folder")
    try:
        # O_NONBLOCK: opening a FIFO must not wait; O_NOFOLLOW: no link swapped in since resolve()
        descriptor = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as error:
        raise FileProblem(1, f"cannot be read ({error.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise FileProblem(1, "not a regular file (a folder, device or pipe)")
        with os.fdopen(descriptor, "rb", closefd=False) as file:
            data = file.read(MAX_FILE_BYTES + 1)
    finally:
        os.close(descriptor)
    if len(data) > MAX_FILE_BYTES:
        raise FileProblem(1, f"larger than {MAX_FILE_BYTES // 1_000_000} MB, the limit for one content file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileProblem(1, f"not UTF-8 text ({error.reason})") from None


def load(path: Path, root: Path) -> Any:
    """Parse one file below `root`; every problem carries the line it was found on."""
    text = read_text(path, root)
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise FileProblem(line, f"YAML syntax: {error.problem or error}") from None
