"""What the understanding layer hands to the conversation core."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["rasa", "matcher"]

# Intents that are not content topics; every other intent name is a topic id.
CONVERSATION_INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "thanks",
    "ask_human",
    "change_language",
    "change_place",
    "bot_capabilities",
    "out_of_scope",
)


@dataclass(frozen=True)
class CrisisReading:
    """The semantic safety net's reading of one message (crisis.py): P(emergency), P(violence)."""

    emergency: float
    violence: float

    @property
    def urgent(self) -> float:
        return self.emergency + self.violence

    @property
    def category(self) -> Literal["emergency", "violence"]:
        return "violence" if self.violence > self.emergency else "emergency"


@dataclass(frozen=True)
class Understanding:
    """One reading of one message.

    `topic` is the topic id when the intent is a content topic (intent name == topic id), else None.
    `ranking` holds (intent, confidence) pairs, best first, the top intent included.
    `place` is a region id when the message names a place we know.
    """

    intent: str
    topic: str | None
    confidence: float
    ranking: tuple[tuple[str, float], ...]
    place: str | None
    source: Source
    crisis: CrisisReading | None = None  # None when the semantic safety net is not loaded
    # Rasa's (or the matcher's) own ranking, before the semantic view was blended in: the urgent
    # thresholds were measured on it. Empty when nothing was blended (`ranking` is that reading).
    ngram_ranking: tuple[tuple[str, float], ...] = ()

    @property
    def ngram(self) -> tuple[tuple[str, float], ...]:
        return self.ngram_ranking or self.ranking
