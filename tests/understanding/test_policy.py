"""The decision policy, read like a table: (what the NLU understood, what the user wrote) -> action."""

from __future__ import annotations

import pytest

from bot.content.model import ContentBase
from bot.understanding.model import Source, Understanding
from bot.understanding.policy import THRESHOLDS, decide


def reading(*ranking: tuple[str, float], source: Source = "rasa", place: str | None = None) -> Understanding:
    topics = {"registration", "jobcenter", "health_care", "emergency"}
    intent, confidence = ranking[0]
    return Understanding(intent, intent if intent in topics else None, confidence, ranking, place, source)


CASES = [
    # (reading, text, place_known, expected action, expected topic)
    (reading(("health_care", 0.95)), "ich brauche einen arzt", False, "answer", "health_care"),
    (reading(("jobcenter", 0.95)), "wo ist das jobcenter", True, "answer", "jobcenter"),
    (reading(("jobcenter", 0.95)), "wo ist das jobcenter", False, "ask_place", "jobcenter"),
    (reading(("jobcenter", 0.95), place="melle"), "jobcenter in melle", False, "answer", "jobcenter"),
    (reading(("jobcenter", 0.45), ("registration", 0.4)), "termin", True, "clarify", None),
    (reading(("jobcenter", 0.1), ("registration", 0.09)), "hm", True, "fallback", None),
    (reading(("out_of_scope", 0.9)), "wie wird das wetter", True, "fallback", None),
    (reading(("ask_human", 0.9)), "ich will einen menschen", True, "handoff", None),
    (reading(("greet", 0.9)), "hallo", True, "smalltalk", None),
    (reading(("thanks", 0.9)), "danke", True, "smalltalk", None),
    (reading(("change_language", 0.9)), "andere sprache", True, "smalltalk", None),
    (reading(("change_place", 0.9)), "ich wohne jetzt woanders", True, "ask_place", None),
    (reading(("greet", 0.2), ("jobcenter", 0.1)), "hm hallo?", True, "fallback", None),
    # urgent wins: NLU reading with a low threshold, or the keyword net over a wrong reading
    (reading(("emergency", 0.55), ("health_care", 0.4)), "...", True, "emergency", "emergency"),
    (reading(("emergency", 0.42), ("registration", 0.3)), "...", True, "emergency", "emergency"),
    (reading(("emergency", 0.27), ("registration", 0.25)), "...", True, "emergency", "emergency"),
    (reading(("emergency", 0.24), ("registration", 0.23)), "...", True, "clarify", None),
    (reading(("health_care", 0.4), ("emergency", 0.35)), "...", True, "emergency", "emergency"),
    (reading(("health_care", 0.93), ("emergency", 0.05)), "...", True, "answer", "health_care"),
    (reading(("greet", 0.99)), "hallo, es brennt!", True, "emergency", "emergency"),
    (reading(("registration", 0.99)), "mein mann schlägt mich", True, "emergency", "emergency"),
    # a weak cue gives way to a confident non-urgent reading, not to an unsure one
    (reading(("health_care", 0.95)), "wann rufe ich 112 und wann 116117", True, "answer", "health_care"),
    (reading(("health_care", 0.2), ("jobcenter", 0.1)), "112", True, "emergency", "emergency"),
    # ... and to a confident out-of-scope one ("where do I buy a knife set?"); a strong cue never does
    (reading(("out_of_scope", 0.95)), "where can I buy a good knife set", True, "fallback", None),
    (reading(("out_of_scope", 0.6)), "where can I buy a good knife set", True, "emergency", "emergency"),
    (reading(("out_of_scope", 0.99)), "he has a knife and wants to kill me", True, "emergency", "emergency"),
    # the matcher has thresholds of its own
    (reading(("jobcenter", 0.5), source="matcher"), "jobcenter", True, "answer", "jobcenter"),
    (reading(("emergency", 0.09), ("jobcenter", 0.08), source="matcher"), "", True, "emergency", "emergency"),
    (reading(("emergency", 0.07), ("jobcenter", 0.06), source="matcher"), "", True, "fallback", None),
]


@pytest.mark.parametrize(
    ("understanding", "text", "instead"),
    [
        # unsure: the numbers, and the non-urgent topics the message may be about
        (
            reading(("emergency", 0.31), ("jobcenter", 0.17), ("thanks", 0.12), ("health_care", 0.04)),
            "",
            ("jobcenter",),
        ),
        (reading(("registration", 0.55), ("emergency", 0.45)), "", ("registration",)),
        (reading(("emergency", 0.3), ("jobcenter", 0.25), source="matcher"), "", ("jobcenter",)),
        # sure, or the text itself says it: nothing else
        (reading(("emergency", 0.95), ("jobcenter", 0.05)), "", ()),
        (reading(("registration", 0.99)), "mein mann schlägt mich", ()),
    ],
)
def test_an_unsure_emergency_also_offers_the_topics_it_may_be_instead(
    content: ContentBase, understanding: Understanding, text: str, instead: tuple[str, ...]
) -> None:
    decision = decide(understanding, text, language="de", place_known=True, content=content)
    assert decision.action == "emergency"
    assert decision.alternatives == instead


@pytest.mark.parametrize(("understanding", "text", "place_known", "action", "topic"), CASES)
def test_decisions(
    content: ContentBase,
    understanding: Understanding,
    text: str,
    place_known: bool,
    action: str,
    topic: str | None,
) -> None:
    decision = decide(understanding, text, language="de", place_known=place_known, content=content)
    assert (decision.action, decision.topic) == (action, topic)
    assert decision.intent == understanding.intent
    assert decision.confidence == understanding.confidence


def test_clarify_offers_the_top_topics_best_first(content: ContentBase) -> None:
    understanding = reading(("jobcenter", 0.45), ("greet", 0.3), ("registration", 0.2), ("health_care", 0.1))
    decision = decide(understanding, "termin?", language="de", place_known=True, content=content)
    assert decision.action == "clarify"
    assert decision.alternatives == ("jobcenter", "registration", "health_care")


def test_a_did_you_mean_offers_four_topics_and_an_answer_three_under_it(real_content: ContentBase) -> None:
    # The real content: the fixture content has too few topics.
    first, *others = [
        topic for topic in sorted(real_content.topics) if real_content.topics[topic].care != "urgent"
    ][:6]
    limits = THRESHOLDS["rasa"]
    for top, action, offered in (
        (limits.clarify, "clarify", [first, *others[:3]]),
        (limits.likely, "answer", others[:3]),
    ):
        ranking = ((first, top), *((topic, 0.06) for topic in others))
        understanding = Understanding(first, first, top, ranking, None, "rasa")
        decision = decide(understanding, "…", language="de", place_known=True, content=real_content)
        assert (decision.action, decision.alternatives) == (action, tuple(offered))


def test_a_move_keeps_the_question_asked_with_it(content: ContentBase) -> None:
    moved = reading(("change_place", 0.55), ("registration", 0.3), ("jobcenter", 0.1), place="melle")
    decision = decide(
        moved, "wohne jetzt in melle, wo ummelden", language="de", place_known=True, content=content
    )
    assert (decision.action, decision.topic, decision.place) == ("ask_place", None, "melle")
    assert decision.alternatives == ("registration",)  # only a topic the clarify threshold would offer


def test_without_any_reading_the_keyword_net_still_works(content: ContentBase) -> None:
    assert decide(None, "yangın var", language="tr", place_known=True, content=content).action == "emergency"
    fallback = decide(None, "nerede", language="tr", place_known=True, content=content)
    assert (fallback.action, fallback.topic) == ("fallback", None)


def test_violence_goes_to_emergency_when_there_is_no_violence_topic(content: ContentBase) -> None:
    # The fixture content has no violence_protection topic: the emergency topic stands in.
    decision = decide(
        reading(("greet", 0.9)), "my husband beats me", language="en", place_known=True, content=content
    )
    assert (decision.action, decision.topic, decision.reason) == ("emergency", "emergency", "keyword")


def test_thresholds_are_ordered() -> None:
    for limits in THRESHOLDS.values():
        assert limits.alternative < limits.clarify < limits.likely < limits.answer


def test_a_likely_topic_is_answered_with_what_else_it_may_be_under_it(content: ContentBase) -> None:
    limits = THRESHOLDS["rasa"]
    likely = (limits.likely + limits.answer) / 2
    understanding = reading(
        ("registration", likely), ("jobcenter", 0.2), ("greet", 0.1), ("health_care", 0.06)
    )
    decision = decide(understanding, "...", language="de", place_known=True, content=content)
    assert (decision.action, decision.topic, decision.reason) == ("answer", "registration", "likely")
    assert decision.alternatives == ("jobcenter", "health_care")
    # A sure one stands alone; a likely one whose place is still unknown is a question, not a guess.
    sure = decide(
        reading(("registration", limits.answer)), "...", language="de", place_known=True, content=content
    )
    assert (sure.action, sure.alternatives) == ("answer", ())
    unplaced = decide(understanding, "...", language="de", place_known=False, content=content)
    assert (unplaced.action, unplaced.alternatives[:2]) == ("clarify", ("registration", "jobcenter"))
