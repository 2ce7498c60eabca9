"""Training data generation, the split and the fingerprint."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from bot.content.model import LANGUAGES, ContentBase
from bot.understanding.model import CONVERSATION_INTENTS
from bot.understanding.training import (
    Example,
    all_examples,
    conversation_examples,
    fingerprint,
    for_rasa,
    split,
    strip_entity_marks,
    write_training_data,
)


def test_conversation_intents_have_ten_examples_per_language(conversation_file: Path) -> None:
    counts = Counter((e.intent, e.language) for e in conversation_examples(conversation_file))
    for intent in CONVERSATION_INTENTS:
        for language in LANGUAGES:
            assert counts[intent, language] >= 10, (intent, language)


def test_generated_data_has_one_intent_per_topic_and_the_place_entity(
    content: ContentBase, conversation_file: Path, tmp_path: Path
) -> None:
    path = write_training_data(all_examples(content, conversation_file), content, tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    intents = {block["intent"]: block["examples"] for block in data["nlu"] if "intent" in block}
    assert set(intents) == set(content.topics) | set(CONVERSATION_INTENTS)
    assert "- wo muss ich mich anmelden\n" in intents["registration"]
    lookup = next(block for block in data["nlu"] if block.get("lookup") == "place")
    assert "- ankum\n" in lookup["examples"]  # normalised, as Rasa sees it
    synonyms = {block["synonym"]: block["examples"] for block in data["nlu"] if "synonym" in block}
    assert "- ankum\n" in synonyms["sg_bersenbrueck"]
    assert "[melle](place)" in intents["change_place"]


def test_split_holds_out_a_share_of_every_intent_and_language(
    content: ContentBase, conversation_file: Path
) -> None:
    examples = all_examples(content, conversation_file)
    train, test = split(examples, holdout=0.2, seed=1)
    assert not set(train) & set(test)
    assert len(train) + len(test) == len(examples)
    held_out = Counter((e.intent, e.language) for e in test)
    assert all(held_out[e.intent, e.language] >= 1 for e in examples)
    assert split(examples, holdout=0.2, seed=1) == (train, test)  # reproducible


def test_a_held_out_question_has_no_copy_in_training() -> None:
    # The same office name in three languages, and a question listed twice: each reads the same once
    # normalised, so holding out one copy holds out all of them.
    examples = [Example(f"frage {n}", "jmd", "de") for n in range(8)] + [
        Example("JMD Osnabrück", "jmd", "de"),
        Example("jmd osnabrück", "jmd", "en"),
        Example("JMD Osnabrück!", "jmd", "tr"),
        Example("feuerwehr nummer", "emergency", "de"),
        Example("feuerwehr nummer", "emergency", "de"),
        Example("notruf", "emergency", "de"),
    ]
    for seed in range(1, 30):
        train, test = split(examples, holdout=0.2, seed=seed)
        assert len(train) + len(test) == len(examples)
        learnt = {(e.intent, for_rasa(e.plain_text)) for e in train}
        assert not [e for e in test if (e.intent, for_rasa(e.plain_text)) in learnt], seed


def test_adding_examples_leaves_the_other_held_out_questions_where_they_were(
    content: ContentBase, conversation_file: Path
) -> None:
    examples = all_examples(content, conversation_file)
    _, before = split(examples, holdout=0.2, seed=13)
    grown = [*examples, Example("eine ganz neue Frage", examples[0].intent, examples[0].language)]
    _, after = split(grown, holdout=0.2, seed=13)
    group = (examples[0].intent, examples[0].language)
    others_before = [e for e in before if (e.intent, e.language) != group]
    others_after = [e for e in after if (e.intent, e.language) != group]
    assert others_after == others_before
    old_in_group = {e for e in before if (e.intent, e.language) == group}
    new_in_group = {e for e in after if (e.intent, e.language) == group and e in set(examples)}
    assert len(old_in_group - new_in_group) <= 1  # the new question may take one held-out place
    assert split(grown, holdout=0.2, seed=14) != split(grown, holdout=0.2, seed=13)


def test_fingerprint_follows_every_input(tmp_path: Path) -> None:
    data, config = tmp_path / "nlu.yml", tmp_path / "config.yml"
    data.write_text("a")
    config.write_text("b")
    first = fingerprint(data, config, "3.6.21")
    assert fingerprint(data, config, "3.6.21") == first
    assert fingerprint(data, config, "3.6.20") != first
    config.write_text("c")
    assert fingerprint(data, config, "3.6.21") != first
    # Our own Rasa components' source counts too: changing their code retrains.
    component = tmp_path / "classifier.py"
    component.write_text("C = 1.0")
    with_component = fingerprint(data, config, "3.6.21", components=[component])
    assert with_component != fingerprint(data, config, "3.6.21")
    component.write_text("C = 3.0")
    assert fingerprint(data, config, "3.6.21", components=[component]) != with_component


def test_entity_marks_are_removed_for_the_matcher() -> None:
    assert (
        strip_entity_marks("ich wohne in [Melle](place) seit [2020](year)") == "ich wohne in Melle seit 2020"
    )
    assert strip_entity_marks("keine [klammer") == "keine [klammer"


def test_rasa_sees_normalised_text_with_its_entity_marks() -> None:
    assert for_rasa("Wo ist die Ausländerbehörde?") == for_rasa("wo ist die auslanderbehorde")
    assert for_rasa("كيف") == for_rasa("کیف")
    assert for_rasa("ich wohne in [Bad Iburg](place), ok?") == "ich wohne in [bad iburg](place) ok"
