"""The one entry point the conversation core calls: `await understander.understand(text, language=…)`.

Rasa answers through the client; when it cannot (down, slow, breaker open) the in-process matcher
answers instead, so no message is ever left without a reading. Switching to and from degraded
mode is logged once each way, never with the message text.

Rasa's reading is used as it is: its classifier (nlu/components) was better on the held-out split
alone than blended with the matcher in any share (nlu/README.md).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.model import ContentBase
from bot.understanding import crisis
from bot.understanding.client import RasaClient
from bot.understanding.crisis import CrisisDetector, CrisisNet, Embedder, trained_net
from bot.understanding.matcher import Matcher
from bot.understanding.model import CrisisReading, Source, Understanding
from bot.understanding.service import NluProject
from bot.understanding.text import find_place, names_district
from bot.understanding.training import Example, all_examples

log = logging.getLogger(__name__)


@dataclass
class UnderstanderStats:
    """Counters for metrics."""

    by_source: Counter[str] = field(default_factory=Counter)  # "rasa" / "matcher" readings
    by_language: Counter[str] = field(default_factory=Counter)  # the reply language of each call
    degraded_periods: int = 0  # times we switched to the matcher


class Understander:
    def __init__(
        self,
        client: RasaClient | None,
        matcher: Matcher | Callable[[], Matcher],
        content: ContentBase,
        crisis: CrisisDetector | None = None,
    ) -> None:
        """`matcher`: the matcher, or how to build it when it is first needed (`wegweiser ask`, whose
        run is over before Rasa fails, need not spend seconds of its start on it)."""
        self.client = client
        self._matcher = matcher
        self.content = content
        self.crisis = crisis
        self.degraded = False
        self.stats = UnderstanderStats()

    @property
    def matcher(self) -> Matcher:
        if not isinstance(self._matcher, Matcher):
            self._matcher = self._matcher()
        return self._matcher

    @matcher.setter
    def matcher(self, matcher: Matcher) -> None:
        self._matcher = matcher

    @classmethod
    def build(
        cls,
        content: ContentBase,
        *,
        rasa_url: str | None,
        conversation_file: Path | None = None,
        crisis: CrisisDetector | None = None,
        examples: Sequence[Example] | None = None,
        matcher_when_needed: bool = False,
    ) -> Understander:
        """`rasa_url` None: matcher only (for example in tests of the conversation core).
        `crisis` None: no semantic safety net, only the keyword net (tests of other things).
        `examples`: the training examples, when the caller has them already.
        `matcher_when_needed`: build the matcher when Rasa first fails, not now."""
        conversation_file = conversation_file or NluProject.default().conversation_file
        conversation = conversation_file
        matcher: Matcher | Callable[[], Matcher] = (
            (lambda: build_matcher(content, conversation, examples))
            if matcher_when_needed
            else build_matcher(content, conversation_file, examples)
        )
        client = None
        if rasa_url is not None:
            client = RasaClient(
                rasa_url, topic_ids=frozenset(content.topics), resolve_place=place_resolver(content)
            )
        return cls(client, matcher, content, crisis)

    @classmethod
    def serving(
        cls,
        content: ContentBase,
        *,
        rasa_url: str | None,
        embedding_threads: int = 1,
        matcher_when_needed: bool = False,
    ) -> Understander:
        """As the bot runs: Rasa at `rasa_url` (None: the matcher only), the matcher and the semantic
        net, from one gathering of the training examples. `embedding_threads`: more than one only
        where nothing else shares the cores (`wegweiser ask --jsonl`)."""
        conversation_file = NluProject.default().conversation_file
        examples = all_examples(content, conversation_file)
        return cls.build(
            content,
            rasa_url=rasa_url,
            conversation_file=conversation_file,
            crisis=crisis_detector(content, conversation_file, examples=examples, threads=embedding_threads),
            examples=examples,
            matcher_when_needed=matcher_when_needed,
        )

    def reload(self, content: ContentBase, conversation_file: Path | None = None) -> None:
        """New content: rebuild the matcher, tell the client the topic ids (Rasa retrains apart) and
        take the crisis net trained for it, if `wegweiser nlu train` has trained one."""
        conversation_file = conversation_file or NluProject.default().conversation_file
        examples = all_examples(content, conversation_file)
        self.matcher = build_matcher(content, conversation_file, examples)
        self.content = content
        if self.client is not None:
            self.client.topic_ids = frozenset(content.topics)
            self.client.resolve_place = place_resolver(content)
        if self.crisis is not None:
            path = trained_net(content, examples, crisis.default_models_dir())
            if path is not None:
                self.crisis.close()
                self.crisis = CrisisDetector(CrisisNet.load(path), self.crisis.embedder)
            else:
                # Training takes minutes: the last net keeps watching (the keyword net and the NLU's
                # urgent topics see the new content at once) until `wegweiser nlu train` has run.
                log.warning("crisis net: not yet trained for the new content; the last one stays in use")

    async def understand(self, text: str, *, language: str) -> Understanding:
        self.stats.by_language[language] += 1
        # The semantic net reads the message (10-50 ms, on its own thread: the embedding engine
        # releases the GIL) while Rasa parses it, so a message waits for the slower of the two, not
        # both; messages that arrive while it embeds are embedded together next.
        reading = (
            asyncio.wrap_future(self.crisis.submit(text))
            if self.crisis is not None and text.strip()
            else None
        )
        found = await self.client.parse(text) if self.client is not None and text.strip() else None
        if found is None:
            if self.client is not None and text.strip() and not self.degraded:
                self.degraded = True
                self.stats.degraded_periods += 1
                log.warning(
                    "NLU degraded: Rasa unavailable (%s, circuit %s); answering from the in-process matcher",
                    self.client.stats.last_error or "no answer",
                    self.client.state,
                )
            found = self.matcher.match(text)
        else:
            if self.degraded:
                self.degraded = False
                log.warning(
                    "NLU recovered: Rasa answers again (circuit %s)",
                    self.client.state if self.client else "-",
                )
            # Our own place finding knows every name Rasa's lookup table knows, and more: inflected
            # forms ("в Оснабрюке", "Melle'de") and that "Landkreis Osnabrück" is not the city. So it
            # decides; Rasa's entity is used only when it finds nothing and the text names no district.
            place = find_place(text, self.content)
            if place is None and not names_district(text):
                place = found.place
            if place != found.place:
                found = dataclasses.replace(found, place=place)
        if reading is not None:
            crisis_reading, semantic_ranking = await reading
            found = blend(found, semantic_ranking, frozenset(self.content.topics), crisis_reading)
        self.stats.by_source[found.source] += 1
        return found

    async def aclose(self) -> None:
        if self.crisis is not None:
            self.crisis.close()
        if self.client is not None:
            await self.client.aclose()


# How much the n-gram reading (Rasa, or the matcher in degraded mode) counts against the semantic
# view's (crisis.CrisisNet.rank_intents) when the two are mixed; measured in nlu/README.md ("Issue #23,
# the semantic topic view").
NGRAM_WEIGHT: dict[Source, float] = {"rasa": 0.6, "matcher": 0.5}


def blend(
    found: Understanding,
    semantic: Sequence[tuple[str, float]],
    topic_ids: frozenset[str],
    crisis_reading: CrisisReading | None = None,
) -> Understanding:
    """One reading from the n-gram view and the semantic view: their probabilities mixed intent by
    intent. N-grams are strong on Kurmanji and romanized text, the embeddings on meaning: a long
    message that names no office word, a neighbouring topic's vocabulary."""
    weight = NGRAM_WEIGHT[found.source]
    mixed: dict[str, float] = defaultdict(float)
    for intent, confidence in found.ranking:
        mixed[intent] += weight * confidence
    for intent, probability in semantic:
        mixed[intent] += (1 - weight) * probability
    ranking = tuple(sorted(mixed.items(), key=lambda pair: -pair[1])[:10])
    if not ranking:
        return dataclasses.replace(found, crisis=crisis_reading)
    intent, confidence = ranking[0]
    topic = intent if intent in topic_ids else None
    return dataclasses.replace(
        found,
        intent=intent,
        topic=topic,
        confidence=confidence,
        ranking=ranking,
        crisis=crisis_reading,
        ngram_ranking=found.ranking,
    )


def build_matcher(
    content: ContentBase, conversation_file: Path, examples: Sequence[Example] | None = None
) -> Matcher:
    return Matcher(
        examples if examples is not None else all_examples(content, conversation_file),
        topic_ids=frozenset(content.topics),
        find_place=lambda text: find_place(text, content),
    )


def place_resolver(content: ContentBase) -> Callable[[str], str | None]:
    """Rasa's `place` value (a region id after its synonym mapper, or a name) -> region id."""

    def resolve(value: str) -> str | None:
        if content.region(value) is not None:
            return value
        region = content.resolve_region(value)
        return region.id if region is not None else None

    return resolve


def crisis_detector(
    content: ContentBase,
    conversation_file: Path | None = None,
    models_dir: Path | None = None,
    *,
    examples: Sequence[Example] | None = None,
    threads: int = 1,
) -> CrisisDetector:
    """The semantic safety net trained for this content (`wegweiser nlu train`, which `make run` and
    `make test` call, trains it). Missing, it is trained now: the bot must not run without it."""
    project = NluProject.default()
    conversation_file = conversation_file or project.conversation_file
    models_dir = models_dir or crisis.default_models_dir()
    if examples is None:
        examples = all_examples(content, conversation_file)
    embedder = Embedder(threads)
    path = trained_net(content, examples, models_dir)
    if path is None:
        log.warning(
            "crisis net: not trained for this content; training it now (a few minutes the first time)"
        )
        path = crisis.train(content, examples, models_dir, embedder=embedder, progress=log.info)
    return CrisisDetector(CrisisNet.load(path), embedder)
