"""What to do with an understood message: answer, ask back, hand over, or raise the alarm.

`decide()` is pure: the same reading of the same text always gives the same decision. Thresholds
differ by source because Rasa's readings (the calibrated softmax of our classifier, nlu/components)
and the matcher's live on different scales; both were tuned on the held-out split of
`wegweiser nlu evaluate` (numbers in nlu/README.md): the answer threshold trades right answers against
wrong ones and confident answers to out-of-scope questions (a wrong answer is worse than a "did you
mean …?"), the urgent ones keep emergency recall at 100 % with about 1 % false alarms.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import partial
from typing import Literal

from bot.content.model import ContentBase
from bot.understanding import safety
from bot.understanding.model import CONVERSATION_INTENTS, Source, Understanding

Action = Literal["answer", "clarify", "ask_place", "handoff", "emergency", "fallback", "smalltalk"]

SMALLTALK_INTENTS = frozenset({"greet", "goodbye", "thanks", "bot_capabilities", "change_language"})
# The urgent topic that is only the emergency numbers; any other urgent topic (violence protection)
# also says where to get help once the danger is over, its numbers first.
EMERGENCY_TOPIC = "emergency"
MAX_ALTERNATIVES = 3  # offered beside something: under a likely answer or the emergency numbers
# A "did you mean …?" is only its buttons, so it offers one more: on two blind development sets (440
# situational messages) the right topic was among them for 90.2 / 91.7 % with three, 92.2 / 95.0 %
# with four, and no more with five on the first.
MAX_CHOICES = 4
# Two topics that share the reading ("where can I learn German?" in degraded mode: the integration
# course 0.196, German practice 0.194) say as much as one above `clarify` when together they reach this
# many times it. On the blind development sets (440 situational messages, 304 out of scope) it turned 5
# "I do not know" into a "did you mean" with Rasa (the right topic among the buttons for 4) and 5 with
# the matcher (5), and one out-of-scope message into a "did you mean" (matcher; its last button is
# "none of these - talk to a person").
SHARED_CLARIFY = 1.5


@dataclass(frozen=True)
class Thresholds:
    answer: float  # the top topic is answered directly from this confidence on
    likely: float  # from here up to `answer`: answered, with the runners-up offered under the answer
    clarify: float  # from here up to `likely`: "did you mean …?" with the top topics
    alternative: float  # a topic is offered as an alternative from this confidence on
    urgent: float  # an urgent topic at the top wins from this confidence on
    urgent_runner_up: float  # an urgent topic in second or third place wins from this on
    conversation: float  # a conversation intent (greet, ask_human, …) counts from this on
    overrule_weak_cue: float  # a non-urgent topic this confident overrules a weak urgent keyword


# Issue #23: the NLU's reading is blended with the semantic topic view (understand.blend); a blended
# confidence is softer than Rasa's own, so the answer thresholds were measured again, on a development
# set of situational messages written blind for it (976: 57 topics and out of scope, eight languages;
# never the evaluation sets). Rasa, answered right / answered wrong / right topic among the buttons of
# a "did you mean" / out of scope answered:
#   Rasa alone, answer 0.9:           71.0 / 1.1 / 90.1 / 0.0 %   (top-1 88.9 %)
#   blend 0.6, answer 0.7:            67.3 / 0.9 / 94.1 / 0.0 %   (top-1 90.8 %)  <- chosen
#   blend 0.6, answer 0.65:           71.4 / 1.2 / 94.4 / 0.0 %   (on the seed-13 split: out of scope
#                                     answered ar 5.6 %, fa 5.3 %, over issue #23's 5 %)
#   blend 0.6, answer 0.6:            76.2 / 2.0 / 92.2 / 1.6 %
#   blend 0.5, answer 0.58:           72.4 / 1.4 / 95.7 / 1.6 %
# Matcher (degraded mode): alone, answer 0.5: 58.3 / 3.1 / 95.6 % (top-1 82.5); blend 0.5, answer 0.4:
# 69.7 / 3.1 / 94.6 % (top-1 87.2) <- chosen: a wrong answer no more often, a right one far more often.
# Then `likely` (issue #23: "a long message whose top topic is right is answered"): between it and
# `answer` the top topic is answered and the runners-up are offered under the answer, so a wrong guess
# costs one tap instead of every right one costing a "did you mean". Measured on development sets
# written blind for it: 960 situational messages (57 topics, eight languages) and 288 out-of-scope
# messages, many of them near misses ("a tourist visa for Paris", "car insurance"). Rasa blended,
# answered right / answered wrong (with the right topic among the buttons under it) / right topic
# among the buttons of the remaining "did you mean" / out of scope answered:
#   likely 0.7 (none):  72.5 / 0.7 (-)    / 93.1 / 4.9 %   (top-1 91.1 %)
#   likely 0.65:        76.4 / 1.0        /      / 5.6 %
#   likely 0.6:         78.6 / 1.9 (47 %) / 92.1 / 6.9 %   <- chosen
#   likely 0.55:        80.5 / 2.3        /      / 10.1 %
#   likely 0.5:         82.4 / 3.2 (68 %) / 88.4 / 12.2 %
#   likely 0.4:         84.5 / 4.1 (69 %) / 86.8 / 4.2 % on the situational set's 48 out-of-scope
# Below 0.6 a question the bot cannot answer is answered with something else twice as often: "when the
# bot does not know, it says so". Requiring a margin over the second topic as well (0.1-0.3) bought no
# better trade at any level. The matcher: likely 0.4 (none) / 0.35 / 0.3: 73.2 / 75.7 / 79.1 % right
# for 3.1 / 3.9 / 5.0 % wrong and 6.2 / 8.7 / 12.5 % out of scope answered: 0.35 <- chosen.
# Then 2,200 situational example questions more (nlu/README.md, "Issue #23, step 4") made the readings
# surer and more often right, and the two were measured again on new blind development sets (440
# situational messages, 55 topics and out of scope, two halves by language; 224 out-of-scope near
# misses). Rasa, answered right (de/en/uk/ru | ar/tr/fa/ku) / answered wrong / out of scope answered
# on the near misses:
#   likely 0.6:   82.5 | 75.9 / 0.4 | 0.4 / 1.8 %
#   likely 0.55:  84.7 | 79.4 / 0.4 | 0.9 / 2.7 %   <- chosen
#   likely 0.5:   85.5 | 81.6 / 1.8 | 1.3 / 4.0 %
# The matcher: likely 0.35 / 0.3: 77.2 | 67.5 / 0.4 | 1.3 / 1.3 % and 80.3 | 76.3 / 0.9 | 1.8 / 2.7 %:
# 0.3 <- chosen.
# A likely place-dependent topic with the place unknown stays a "did you mean": the evaluation assumes
# the place is known, so it counts those as answered.
# The urgent thresholds below read the NLU's own ranking as well (Understanding.ngram), where they were
# measured. The texts after this are the measurements of the thresholds before the blend.
THRESHOLDS: dict[Source, Thresholds] = {
    # Rasa's classifier (nlu/components/wegweiser_classifier.py), measured on the split: answer 0.9:
    # right answers 73.2 %, wrong 1.6 %, out-of-scope answered 1.0 % (tr 1 of 13, 0 elsewhere; the
    # same from 0.85 to 0.95); 0.85: 75.9 / 2.2 %; 0.95: 69.6 / 1.2 %. Urgent: on the held-out example
    # questions of seeds 1-21 (step 18; 2,851 urgent, 38,324 others, keyword net included) 0.4 / 0.35 /
    # 0.3 / 0.25 / 0.2 missed 71 / 59 / 55 / 48 / 46 urgent questions for 397 / 429 / 460 / 487 / 514
    # false alarms (1.04 / 1.12 / 1.20 / 1.27 / 1.34 %): down to 0.25 each missed emergency less costs
    # fewer than ten false alarms, below it more (the rule of step 10, which then gave 0.4).
    "rasa": Thresholds(
        answer=0.7,
        likely=0.55,
        clarify=0.2,
        alternative=0.05,
        urgent=0.25,
        urgent_runner_up=0.3,
        conversation=0.3,
        overrule_weak_cue=0.9,
    ),
    # The matcher (degraded mode), on the held-out example questions of seeds 1-21 (step 18; 2,851
    # urgent, 38,324 others, keyword net included): urgent 0.2 / 0.15 / 0.12 / 0.1 / 0.08 / 0.06 missed
    # 142 / 96 / 71 / 60 / 51 / 51 urgent questions for 330 / 414 / 500 / 538 / 570 / 579 false alarms
    # (0.86 % at 0.2, 1.49 % at 0.08): down to 0.08 each missed emergency less costs fewer than ten
    # false alarms, as for Rasa above. (Step 9, seeds 1-7, before the Latin-letter urgent examples:
    # 0.3 / 0.25 / 0.2 missed 10 / 8 / 6 of 635 for 73 / 77 / 81 false alarms.)
    "matcher": Thresholds(
        answer=0.4,
        likely=0.3,
        clarify=0.2,
        alternative=0.05,
        urgent=0.08,
        urgent_runner_up=0.3,
        conversation=0.3,
        overrule_weak_cue=0.9,
    ),
}


@dataclass(frozen=True)
class SemanticThresholds:
    urgent: float  # the semantic net's P(crisis) from which it raises the alarm by itself
    sure: float  # from here a confident non-urgent NLU reading cannot hold it back
    calm: float  # below this, a weak keyword gives way to a non-urgent topic the policy would answer


# The semantic safety net (crisis.py) gives one probability whatever the NLU source, so one set of
# thresholds serves Rasa and the matcher. Swept on the seed-13 split's held-out questions (149 urgent,
# 1,889 others) and a crisis development set written blind for it (196 crisis and 120 calm messages
# with alarming words, eight languages; never the evaluation sets); Rasa, missed / false alarms:
#   without the net:         split 0 / 25,  dev 74 / 31
#   urgent 0.5, sure 0.8:    split 0 / 43,  dev  6 / 31
#   urgent 0.4, sure 0.7:    split 0 / 56,  dev  4 / 31   <- each crisis found costs < 10 false alarms
#   urgent 0.3, sure 0.6:    many more false alarms for no crisis more (regression alone)
# Details in nlu/README.md ("Issue #23"). Then, with the blend and 57 topics, on a second crisis
# development set (160 crisis, 128 calm messages with alarming words, written blind) and the 976
# situational messages: urgent 0.4 / 0.35 / 0.3 / 0.25 found 152 / 156 / 158 / 160 crises, for false
# alarms on the situational messages of 1.5 / 1.6 / 1.8 / 2.3 %: 0.25, each crisis found costing about
# one false alarm. `calm` (a weak keyword gives way to a topic the policy would answer when the net
# reads below it) took the calm messages' false alarms from 39.1 to 32.8 % and lost no crisis.
SEMANTIC = SemanticThresholds(urgent=0.25, sure=0.7, calm=0.1)


@dataclass(frozen=True)
class Decision:
    """What the conversation core should do.

    - answer: show `topic`, and under it any `alternatives` (the reading was likely, not sure).
      clarify: offer `alternatives` (topic ids, best first).
    - ask_place: ask where the user lives, then show `topic`. `topic` is None when the user only
      wants to change their place; then a `place` the message names is saved without asking, and
      `alternatives` are topics the message may also be asking about.
    - emergency: show the urgent `topic` (emergency numbers first) and flag a staff case as urgent;
      when the NLU was unsure, `alternatives` are the non-urgent topics the message may be about.
    - handoff: the user wants a person.  smalltalk: reply to `intent` (greet, goodbye, thanks,
      bot_capabilities, change_language).  fallback: say plainly we do not know, offer a person and
      any `alternatives`.
    `place` is the region id the message named, if any; `reason` says why, for logs and metrics.
    """

    action: Action
    topic: str | None
    alternatives: tuple[str, ...]
    confidence: float
    intent: str
    place: str | None = None
    reason: str = ""

    @property
    def saves_named_place(self) -> bool:
        """A change of place that names the place ("I moved to Melle"): save it, nothing to ask."""
        return self.action == "ask_place" and self.topic is None and self.place is not None


def _own_reading(understanding: Understanding) -> tuple[str, float]:
    """The NLU's own top intent and its confidence, before the semantic view was blended in."""
    return understanding.ngram[0] if understanding.ngram else ("", 0.0)


def _confident_elsewhere(understanding: Understanding, limits: Thresholds, urgent_topics: set[str]) -> bool:
    """The NLU reads a non-urgent topic with confidence: "dying to learn German, which course?". On
    the blended reading, or on the NLU's own, where `overrule_weak_cue` was measured (the blended one
    is softer: it seldom reaches it, so without the NLU's own the semantic net's doubtful alarms on
    "pidkazhit shcho robljat v bjurgeramti" were never held back)."""
    own_intent, own_confidence = _own_reading(understanding)
    own_topic = own_intent if own_intent and own_intent not in CONVERSATION_INTENTS else None
    return any(
        topic is not None and topic not in urgent_topics and confidence >= limits.overrule_weak_cue
        for topic, confidence in (
            (understanding.topic, understanding.confidence),
            (own_topic, own_confidence),
        )
    )


def _weak_cue_gives_way(understanding: Understanding, limits: Thresholds, urgent_topics: set[str]) -> bool:
    """A weak keyword ("Polizei", "Unfall") gives way to a confident non-urgent reading: the blended
    one, the NLU's own (where `overrule_weak_cue` was measured; the blended one is softer), or one the
    policy would answer when the semantic net reads the message as calm too. Not to an unsure one,
    however calm the net: a Turkish call for the police, read out of scope at 0.85 with the net at
    0.07, has only its weak keyword (nlu/README.md, "Issue #23, step 5")."""
    if _confident_elsewhere(understanding, limits, urgent_topics):
        return True
    own_intent, own_confidence = _own_reading(understanding)
    if own_intent == "out_of_scope":  # "where do I buy a knife set?"
        return own_confidence >= limits.overrule_weak_cue
    if own_intent in CONVERSATION_INTENTS or own_intent in urgent_topics or not own_intent:
        return False
    calm = understanding.crisis is not None and understanding.crisis.urgent < SEMANTIC.calm
    return (
        calm
        and understanding.topic is not None
        and understanding.intent not in urgent_topics
        and understanding.confidence >= limits.likely
    )


def _urgent_topic_for(category: safety.Category, urgent_topics: set[str], content: ContentBase) -> str | None:
    preferred = "violence_protection" if category == "violence" else EMERGENCY_TOPIC
    if preferred in content.topics:
        return preferred
    return EMERGENCY_TOPIC if EMERGENCY_TOPIC in content.topics else next(iter(sorted(urgent_topics)), None)


def _help_after_violence(
    understanding: Understanding,
    hit: safety.SafetyHit | None,
    said_over: Callable[[], bool],
    limits: Thresholds,
    urgent_topics: set[str],
) -> str | None:
    """The urgent topic to answer without the alarm when the message says the violence is over and
    asks for help after it ("my ex hit me back home, I am safe now, where is counselling for women?"):
    words that the danger is over (beside which a keyword is a weak cue, safety.KeywordNet.check), no
    danger now in the semantic net's reading, no keyword but one of violence, no urgent reading of the
    emergency topic, and the NLU's top reading is an urgent topic that is more than the numbers
    (violence protection, whose answer shows 110 and its help line first), at least likely. None
    otherwise, and without the net's reading (not loaded): then the alarm stands."""
    reading, topic = understanding.crisis, understanding.topic
    if topic not in urgent_topics or topic == EMERGENCY_TOPIC or understanding.confidence < limits.likely:
        return None  # the answer would not be the violence topic
    if (
        reading is None
        or reading.urgent >= SEMANTIC.urgent
        or (hit is not None and hit.category != "violence")
    ):
        return None  # a view reads danger now, or another kind of emergency
    emergency_read = any(
        intent == EMERGENCY_TOPIC and confidence >= _urgent_needed(limits, rank)
        for rank, (intent, confidence) in _urgent_candidates(understanding)
    )
    # Last, as only messages read as violence need it: the words that it is over.
    return topic if not emergency_read and said_over() else None


def _urgent_needed(limits: Thresholds, rank: int) -> float:
    """The confidence from which an urgent topic at `rank` of a ranking raises the alarm."""
    return limits.urgent if rank == 0 else limits.urgent_runner_up


def decide(
    understanding: Understanding | None,
    text: str,
    *,
    language: str,
    place_known: bool,
    content: ContentBase,
) -> Decision:
    """Decide from the NLU reading (None when no reading could be had) and the raw text.

    `language` is the reply language (kept for the decision log; the keyword net checks all eight
    languages regardless). `place_known`: the user's region is already stored.
    """
    urgent_topics = {topic.id for topic in content.topics.values() if topic.care == "urgent"}
    keywords = safety.keyword_net(content.keywords)
    hit = keywords.check(text)
    if understanding is None:
        if hit is not None:
            topic = _urgent_topic_for(hit.category, urgent_topics, content)
            return Decision("emergency", topic, (), 1.0, topic or "emergency", reason="keyword")
        return Decision("fallback", None, (), 0.0, "out_of_scope", reason="no_reading")

    limits = THRESHOLDS[understanding.source]
    top_intent, top_confidence = understanding.intent, understanding.confidence
    place = understanding.place

    def made(action: Action, topic: str | None, reason: str, alternatives: tuple[str, ...] = ()) -> Decision:
        return Decision(action, topic, alternatives, top_confidence, top_intent, place, reason)

    # 1. Urgent first: the semantic safety net, the NLU's urgent reading and the keyword net; each
    # raises the alarm by itself, and nothing holds back the NLU's or the keyword net's alarm but
    # violence the message says is over, which the semantic net reads as over too and the NLU as the
    # violence topic, whose answer shows the numbers (`_help_after_violence`): they are the floor the
    # semantic net only adds to (nlu/README.md, "Issue #23", says what a veto cost).
    reading = understanding.crisis
    if (
        reading is not None
        and reading.urgent >= SEMANTIC.urgent
        and not (
            reading.urgent < SEMANTIC.sure and _confident_elsewhere(understanding, limits, urgent_topics)
        )
    ):
        topic = _urgent_topic_for(reading.category, urgent_topics, content)
        unsure = reading.urgent < SEMANTIC.sure
        instead = _alternatives(understanding, limits, leave_out=urgent_topics) if unsure else ()
        return made("emergency", topic, "semantic", instead)
    # Help asked after violence that is over, and no view reads danger now: the violence topic's
    # answer (110 and its help line first) without the emergency card and an urgent case.
    said_over = partial(keywords.says_danger_is_over, text)  # asked only of a violence reading
    if (after := _help_after_violence(understanding, hit, said_over, limits, urgent_topics)) is not None:
        sure = top_confidence >= limits.answer
        return made(
            "answer",
            after,
            "violence_over",
            () if sure else _alternatives(understanding, limits, leave_out={after}),
        )
    # On the NLU's own reading (these thresholds were measured on it) and on the blended one: each
    # raises the alarm by itself.
    for rank, (intent, confidence) in _urgent_candidates(understanding):
        if intent in urgent_topics and confidence >= _urgent_needed(limits, rank):
            # The thresholds are low on purpose, so an unsure urgent reading also offers the topics
            # the message may be about instead: a false alarm then still leads to the answer.
            unsure = rank > 0 or confidence < limits.answer
            instead = _alternatives(understanding, limits, leave_out=urgent_topics) if unsure else ()
            return made("emergency", intent, "nlu_urgent", instead)
    # A weak cue ("Polizei") gives way to a confident non-urgent NLU reading; a strong one never.
    if hit is not None and (hit.strong or not _weak_cue_gives_way(understanding, limits, urgent_topics)):
        urgent_topic = _urgent_topic_for(hit.category, urgent_topics, content)
        return made("emergency", urgent_topic, "keyword")

    # 2. Conversation intents.
    if understanding.topic is None:
        if top_intent == "out_of_scope":
            return made("fallback", None, "out_of_scope")
        if top_confidence < limits.conversation:
            return made("fallback", None, "low_confidence", _alternatives(understanding, limits))
        if top_intent == "ask_human":
            return made("handoff", None, "asked")
        if top_intent == "change_place":
            # "I live in Melle now, where is the immigration office?": the question comes along.
            return made(
                "ask_place", None, "change_place", _alternatives(understanding, limits, limits.clarify)
            )
        if top_intent in SMALLTALK_INTENTS:
            return made("smalltalk", None, top_intent)
        return made("fallback", None, "unknown_intent")

    # 3. Content topics.
    found = content.topics.get(understanding.topic)
    place_missing = found is not None and found.place_dependent and not place_known and place is None
    if top_confidence >= limits.answer and found is not None:
        if place_missing:
            return made("ask_place", found.id, "place_needed")
        return made("answer", found.id, "confident")
    # Likely but not sure: the answer, and under it the topics the message may be about instead, so
    # a wrong guess costs one tap. Asking the place first for a guess would cost more than a "did you
    # mean": with the place unknown it stays a question.
    if top_confidence >= limits.likely and found is not None and not place_missing:
        instead = _alternatives(understanding, limits, leave_out={found.id})
        return made("answer", found.id, "likely", instead)
    alternatives = _alternatives(understanding, limits, limit=MAX_CHOICES)
    two_topics = sum(sorted((c for i, c in understanding.ranking if i in content.topics), reverse=True)[:2])
    if alternatives and max(top_confidence, two_topics / SHARED_CLARIFY) >= limits.clarify:
        return made("clarify", None, "unsure", alternatives)
    return made("fallback", None, "low_confidence", alternatives[:MAX_ALTERNATIVES])


def _urgent_candidates(understanding: Understanding) -> list[tuple[int, tuple[str, float]]]:
    """(rank, (intent, confidence)) of the top three of the NLU's own and of the blended ranking."""
    readings = {understanding.ngram, understanding.ranking}
    return sorted((rank, pair) for ranking in readings for rank, pair in enumerate(ranking[:3]))


def _alternatives(
    understanding: Understanding,
    limits: Thresholds,
    floor: float | None = None,
    *,
    leave_out: Collection[str] = (),
    limit: int = MAX_ALTERNATIVES,
) -> tuple[str, ...]:
    """Up to `limit` topic ids from the ranking, best first, each at least `floor` (default
    `limits.alternative`), none of `leave_out`."""
    floor = limits.alternative if floor is None else floor
    return tuple(
        intent
        for intent, confidence in understanding.ranking
        if confidence >= floor and intent not in CONVERSATION_INTENTS and intent not in leave_out
    )[:limit]
