"""The evaluation's question sets, the independence of the newcomers set, and the Rasa-matcher blend."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.content.loader import load
from bot.content.model import LANGUAGES, ContentBase
from bot.settings import PROJECT_ROOT
from bot.understanding.evaluation import SPLIT, evaluation_sets
from bot.understanding.model import CONVERSATION_INTENTS, Understanding
from bot.understanding.text import normalise
from bot.understanding.training import all_examples, conversation_examples
from bot.understanding.understand import blend

EVALUATION = PROJECT_ROOT / "nlu" / "data" / "evaluation"
NEWCOMERS = EVALUATION / "newcomers.yml"
# The ten topics newcomers ask about most: at least eight questions per language each.
MAIN_TOPICS = (
    "registration", "residence_permit", "immigration_office", "jobcenter", "integration_course",
    "health_care", "kita", "school_enrolment", "emergency", "child_benefit",
)  # fmt: skip


@pytest.fixture(scope="module")
def real_content() -> ContentBase:
    return load(PROJECT_ROOT / "content")


def test_newcomers_set_covers_every_topic_and_language(real_content: ContentBase) -> None:
    questions = conversation_examples(NEWCOMERS)
    counts = Counter((q.intent, q.language) for q in questions)
    assert {q.intent for q in questions} == set(real_content.topics) | {"out_of_scope"}
    for language in LANGUAGES:
        for topic in real_content.topics:
            assert counts[topic, language] >= (8 if topic in MAIN_TOPICS else 2), (topic, language)
        assert counts["out_of_scope", language] >= 4, language
    for topic in real_content.topics:
        assert sum(counts[topic, language] for language in LANGUAGES) >= 10, topic


def test_newcomers_set_is_never_trained_on(real_content: ContentBase, conversation_file: Path) -> None:
    # Independent means: not one of its questions is (after normalising) a training question.
    trained = {normalise(e.plain_text) for e in all_examples(real_content, conversation_file)}
    shared = [q.text for q in conversation_examples(NEWCOMERS) if normalise(q.plain_text) in trained]
    assert shared == []


def test_evaluation_sets_by_name_and_only_known_intents(content: ContentBase) -> None:
    known = set(content.topics) | set(CONVERSATION_INTENTS)
    sets = evaluation_sets(EVALUATION, known)
    assert set(sets) == {SPLIT, "newcomers"}
    assert {q.intent for q in sets[SPLIT]} == {"out_of_scope"}  # out_of_scope.yml has no `set:`
    # The fixture content has four topics: questions of the others are left out.
    assert {q.intent for q in sets["newcomers"]} == {"out_of_scope", *content.topics}


def reading(source: str, *ranking: tuple[str, float], place: str | None = None) -> Understanding:
    intent, confidence = ranking[0]
    return Understanding(intent, None, confidence, ranking, place, source)  # type: ignore[arg-type]


def test_blend_is_the_mean_of_both_readings() -> None:
    rasa = reading("rasa", ("greet", 0.5), ("kita", 0.3), ("jobcenter", 0.2), place="melle")
    matcher = reading("matcher", ("kita", 0.9), ("jobcenter", 0.1))
    found = blend(rasa, matcher, topic_ids=frozenset({"kita", "jobcenter"}))
    assert (found.intent, found.topic, found.source, found.place) == ("kita", "kita", "rasa", "melle")
    assert found.confidence == pytest.approx(0.6)
    assert dict(found.ranking) == pytest.approx({"kita": 0.6, "greet": 0.25, "jobcenter": 0.15})


def test_blend_of_a_conversation_intent_has_no_topic() -> None:
    found = blend(
        reading("rasa", ("thanks", 0.9)), reading("matcher", ("thanks", 0.8)), topic_ids=frozenset({"kita"})
    )
    assert (found.intent, found.topic) == ("thanks", None)
    assert found.confidence == pytest.approx(0.85)
