"""The degraded-mode matcher: same examples, same Understanding shape, fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.model import ContentBase
from bot.understanding.matcher import Matcher
from bot.understanding.text import find_place
from bot.understanding.training import Example, all_examples
from bot.understanding.understand import build_matcher


@pytest.fixture(scope="module")
def matcher(content: ContentBase, conversation_file: Path) -> Matcher:
    return build_matcher(content, conversation_file)


# Questions that are not among the examples: other words, typos, other word order.
QUESTIONS = [
    ("wo kann ich mich in osnabrück anmelden?", "registration"),
    ("Anmeldung Wohnung wie", "registration"),
    ("i just moved, how do i register my new adress", "registration"),
    ("как сделать прописку", "registration"),
    ("jobcentr termin bekommen", "jobcenter"),
    ("where can i apply for burgergeld", "jobcenter"),
    ("джобцентр адрес", "jobcenter"),
    ("ich brauche dringend einen kinderarzt", "health_care"),
    ("çocuk doktoru lazım", "health_care"),
    ("ez nexweş im, bijîşk li ku ye", "health_care"),
    ("hallo!", "greet"),
    ("vielen dank für die hilfe", "thanks"),
    ("ich möchte mit einem mitarbeiter sprechen", "ask_human"),
]


@pytest.mark.parametrize(("text", "intent"), QUESTIONS)
def test_finds_the_intent_of_unseen_questions(matcher: Matcher, text: str, intent: str) -> None:
    found = matcher.match(text)
    assert found.intent == intent
    assert found.source == "matcher"


def test_understanding_shape(matcher: Matcher) -> None:
    found = matcher.match("wo ist das jobcenter in Ankum")
    assert found.topic == "jobcenter"
    assert found.place == "sg_bersenbrueck"  # Ankum is a member of Samtgemeinde Bersenbrück
    assert 0.0 < found.confidence <= 1.0
    assert found.ranking[0] == (found.intent, found.confidence)
    assert [score for _, score in found.ranking] == sorted(
        (score for _, score in found.ranking), reverse=True
    )
    greeting = matcher.match("hallo")
    assert greeting.topic is None


def test_nothing_in_common_means_no_confidence(matcher: Matcher) -> None:
    found = matcher.match("😀😀")
    assert (found.intent, found.confidence, found.topic) == ("out_of_scope", 0.0, None)


def test_answers_at_full_content_size(content: ContentBase, conversation_file: Path) -> None:
    """At the size of the real content base it still finds the right intents (its speed is measured
    by `make bench`, not here: timings in tests fail on a busy machine)."""
    examples = all_examples(content, conversation_file)
    # The whole content base has ~28 topics x 8 languages x ~15 questions: grow the fixture to that size
    # with distinct variants of its questions.
    grown = [
        Example(f"{example.text} {suffix}", f"{example.intent}_{number}", example.language)
        for number, suffix in enumerate(("bitte", "срочно", "لطفا", "ji kerema xwe"))
        for example in examples
    ]
    assert len(grown) > 4000
    big = Matcher(grown, topic_ids=frozenset(), find_place=lambda text: find_place(text, content))
    for text, intent in QUESTIONS:
        assert big.match(text).intent.rsplit("_", 1)[0] == intent, text
