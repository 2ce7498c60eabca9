"""The evaluation's question sets and the independence of the newcomers set."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.content.model import LANGUAGES, ContentBase
from bot.settings import PROJECT_ROOT
from bot.understanding.crisis import training_samples
from bot.understanding.evaluation import SPLIT, evaluation_sets
from bot.understanding.model import CONVERSATION_INTENTS
from bot.understanding.text import normalise
from bot.understanding.training import all_examples, conversation_examples

EVALUATION = PROJECT_ROOT / "nlu" / "data" / "evaluation"
URGENT = ("emergency", "violence_protection")
NEWCOMERS = EVALUATION / "newcomers.yml"
# The ten topics newcomers ask about most: at least eight questions per language each.
MAIN_TOPICS = (
    "registration", "residence_permit", "immigration_office", "jobcenter", "integration_course",
    "health_care", "kita", "school_enrolment", "emergency", "child_benefit",
)  # fmt: skip
# The topics the newcomers set was written for (catalogue version 1). Its out-of-scope questions that
# version 2's topics cover were relabelled to them, so the set holds some version-2 topics too.
VERSION_1_TOPICS = (
    *MAIN_TOPICS, "ukraine_protection", "asylum_procedure", "citizens_office", "migration_centre",
    "employment_agency", "work_permit", "recognition_of_qualifications", "german_practice",
    "migration_counselling", "youth_migration_service", "refugee_social_work", "legal_advice",
    "psychosocial_support", "anti_discrimination", "integration_guides", "vocational_school",
    "birth_registration", "marriage", "violence_protection",
)  # fmt: skip


def test_newcomers_set_covers_every_topic_and_language(real_content: ContentBase) -> None:
    questions = conversation_examples(NEWCOMERS)
    counts = Counter((q.intent, q.language) for q in questions)
    assert {q.intent for q in questions} <= set(real_content.topics) | {"out_of_scope"}
    for language in LANGUAGES:
        for topic in VERSION_1_TOPICS:
            assert counts[topic, language] >= (8 if topic in MAIN_TOPICS else 2), (topic, language)
        assert counts["out_of_scope", language] >= 4, language
    for topic in VERSION_1_TOPICS:
        assert sum(counts[topic, language] for language in LANGUAGES) >= 10, topic


@pytest.mark.parametrize("path", sorted(EVALUATION.glob("*.yml")), ids=lambda path: path.name)
def test_evaluation_sets_are_never_trained_on(
    real_content: ContentBase, conversation_file: Path, path: Path
) -> None:
    # Independent means: not one of its questions is (after normalising) a training question or a
    # statement the semantic safety net learns from.
    trained = {normalise(e.plain_text) for e in all_examples(real_content, conversation_file)}
    trained |= {normalise(sample.text) for sample in training_samples(real_content, [])}
    shared = [q.text for q in conversation_examples(path) if normalise(q.plain_text) in trained]
    assert shared == []


@pytest.mark.parametrize("name", ["situations", "crisis"])
def test_situation_and_crisis_sets_cover_every_language(real_content: ContentBase, name: str) -> None:
    questions = conversation_examples(EVALUATION / f"{name}.yml")
    for language in LANGUAGES:
        mine = [q for q in questions if q.language == language]
        if name == "situations":
            assert len(mine) >= 30 and len({q.intent for q in mine}) >= 20, language
        else:
            urgent = [q for q in mine if real_content.topics.get(q.intent) and q.intent in URGENT]
            assert len(urgent) >= 8 and len(mine) - len(urgent) >= 8, language


def test_evaluation_sets_by_name_and_only_known_intents(content: ContentBase) -> None:
    known = set(content.topics) | set(CONVERSATION_INTENTS)
    sets = evaluation_sets(EVALUATION, known)
    assert set(sets) == {SPLIT, "newcomers", "situations", "crisis", "journey"}
    # out_of_scope.yml has no `set:`; some of its questions were relabelled to version-2 topics.
    split_intents = {q.intent for q in sets[SPLIT]}
    assert "out_of_scope" in split_intents
    assert split_intents <= {"out_of_scope", *content.topics}
    # The fixture content has four topics: questions of the others are left out.
    assert {q.intent for q in sets["newcomers"]} == {"out_of_scope", *content.topics}
    assert {q.intent for q in sets["situations"]} <= {"out_of_scope", *content.topics}


def test_journey_set_covers_every_version_2_topic_in_every_language(real_content: ContentBase) -> None:
    questions = conversation_examples(EVALUATION / "journey.yml")
    counts = Counter((q.intent, q.language) for q in questions)
    assert {q.intent for q in questions} <= set(real_content.topics)
    for topic in set(real_content.topics) - set(VERSION_1_TOPICS):
        for language in LANGUAGES:
            # Four were written for each; six that were word for word training examples left the set.
            assert counts[topic, language] >= 3, (topic, language)
