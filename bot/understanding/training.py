"""Rasa NLU training data from the content base, and the fingerprint that decides when to retrain.

One intent per topic (the topic id) from the topics' example questions, plus the hand-written
conversation intents in nlu/data/conversation.yml, plus the `place` entity: every region name,
spelling and member municipality as a lookup table, and a synonym that maps it to the region id.
Everything Rasa sees is in `for_rasa` form (normalised), at training and at parsing (client.py).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.content.model import LANGUAGES, ContentBase
from bot.understanding.text import normalise

RASA_FORMAT_VERSION = "3.1"
PLACE_ENTITY = "place"


@dataclass(frozen=True, slots=True)
class Example:
    """One training or test question. `text` may carry Rasa entity marks like `[Melle](place)`."""

    text: str
    intent: str
    language: str

    @property
    def plain_text(self) -> str:
        """The question as a user would type it (entity marks removed)."""
        return strip_entity_marks(self.text)


# An entity mark in training data: "[Melle](place)" or "[Osnabrück]({...})".
ENTITY_MARK = re.compile(r"\[(.*?)\]\((.*?)\)", re.DOTALL)


def for_rasa(text: str) -> str:
    """The form Rasa learns and parses: `text.normalise`d (case, accents, punctuation, look-alike
    letters), so "auslanderbehorde" and "Ausländerbehörde!" or Arabic "كيف" and Persian "کیف" give the
    same features. Entity marks `[Melle](place)` are kept, their text normalised too."""
    out, index = [], 0
    for mark in ENTITY_MARK.finditer(text):
        out.append(normalise(text[index : mark.start()]))
        out.append(f"[{normalise(mark.group(1))}]({mark.group(2)})")
        index = mark.end()
    out.append(normalise(text[index:]))
    return " ".join(part for part in out if part)


def strip_entity_marks(text: str) -> str:
    return ENTITY_MARK.sub(r"\1", text)


def topic_examples(content: ContentBase) -> list[Example]:
    return [
        Example(text, topic_id, language)
        for topic_id, by_language in sorted(content.examples().items())
        for language, texts in sorted(by_language.items())
        for text in texts
    ]


def conversation_examples(path: Path) -> list[Example]:
    """Read nlu/data/conversation.yml (Rasa format with `metadata.language` per block)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples = []
    for block in data.get("nlu", []):
        intent = str(block["intent"])
        language = str((block.get("metadata") or {}).get("language", ""))
        if language not in LANGUAGES:
            raise ValueError(f"{path}: intent {intent}: metadata.language must be one of {LANGUAGES}")
        for line in str(block.get("examples", "")).splitlines():
            text = line.strip().removeprefix("- ").strip()
            if text:
                examples.append(Example(text, intent, language))
    return examples


def all_examples(content: ContentBase, conversation_file: Path) -> list[Example]:
    return topic_examples(content) + conversation_examples(conversation_file)


def split(
    examples: Sequence[Example], *, holdout: float = 0.2, seed: int = 13
) -> tuple[list[Example], list[Example]]:
    """Stratified split per (intent, language): `holdout` of each group, at least one, is held out.

    A group of fewer than three keeps everything for training. Which questions are held out depends
    only on the seed and the question itself (a hash orders each group), so adding examples to one
    topic or language leaves every other group's held-out questions as they were, and in its own
    group each new question displaces at most one held-out question: runs before and after a change
    of the examples measure (almost) the same questions. (Shuffling all groups with one random generator, as
    before 2026-11-21's step 5, redrew the whole split whenever anything was added.)

    A held-out question has no copy in training: an example of the same intent that reads the same
    once normalised ("JMD Osnabrück" in three languages, a question listed twice) is held out with it,
    else the model would be tested on a question it learnt.
    """
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for example in examples:
        groups[example.intent, example.language].append(example)
    train, test = [], []
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda example: _draw(seed, example))
        count = max(1, round(len(group) * holdout)) if len(group) >= 3 else 0
        test += group[:count]
        train += group[count:]
    held_out = {_same_question(example) for example in test}
    learnt: list[Example] = []
    copies: list[Example] = []
    for example in train:
        (copies if _same_question(example) in held_out else learnt).append(example)
    return learnt, test + copies


def _same_question(example: Example) -> tuple[str, str]:
    return example.intent, normalise(example.plain_text)


def _draw(seed: int, example: Example) -> bytes:
    return hashlib.sha256(f"{seed}\0{example.intent}\0{example.language}\0{example.text}".encode()).digest()


def _block_literal(lines: Iterable[str]) -> str:
    return "".join(f"- {line}\n" for line in lines)


class _Literal(str):
    """A string YAML writes as a `|` block, as Rasa's own files do."""


def _literal_presenter(dumper: yaml.SafeDumper, value: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal_presenter)


def rasa_training_data(examples: Sequence[Example], content: ContentBase) -> str:
    """The whole NLU training set as one Rasa YAML document."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    for example in examples:
        # Rasa refuses duplicate examples across intents and warns on duplicates within one;
        # normalising can make two examples of different intents equal: the first one keeps it.
        text = for_rasa(example.text)
        if text and text not in seen:
            seen.add(text)
            by_intent[example.intent].append(text)
    nlu: list[dict[str, object]] = [
        {"intent": intent, "examples": _Literal(_block_literal(texts))}
        for intent, texts in sorted(by_intent.items())
    ]
    names: dict[str, str] = {}
    for region in content.regions:
        for name in region.names():
            names.setdefault(normalise(name), region.id)
    nlu.append({"lookup": PLACE_ENTITY, "examples": _Literal(_block_literal(sorted(names)))})
    for region in content.regions:
        spellings = sorted(
            {name for name, owner in names.items() if owner == region.id and name != region.id}
        )
        nlu.append({"synonym": region.id, "examples": _Literal(_block_literal(spellings))})
    document = {"version": RASA_FORMAT_VERSION, "nlu": nlu}
    header = "# Generated by bot/understanding/training.py from the content base; do not edit.\n"
    return header + yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def write_training_data(examples: Sequence[Example], content: ContentBase, directory: Path) -> Path:
    """Write nlu.yml into `directory` (replacing what was there) and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.yml"):
        old.unlink()
    path = directory / "nlu.yml"
    path.write_text(rasa_training_data(examples, content), encoding="utf-8")
    return path


def fingerprint(
    training_data: Path, config: Path, rasa_version: str, *, components: Sequence[Path] = ()
) -> str:
    """Hash of everything a trained model depends on: data, pipeline config, Rasa version, and the
    source of our own Rasa components (nlu/components)."""
    digest = hashlib.sha256()
    parts = [training_data.read_bytes(), config.read_bytes(), rasa_version.encode()]
    parts += [path.name.encode() + b"\0" + path.read_bytes() for path in components]
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]
