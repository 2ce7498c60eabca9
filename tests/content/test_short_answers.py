"""The short answer a phone user reads first, over the real content: within its limit for every topic in
every language, and for urgent topics a first message that starts with 112 and 110 and fits one screen."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import yaml

from bot.content.loader import SHORT_LIMIT, check, visible_length
from bot.content.model import LANGUAGES, ContentBase
from bot.conversation import replies as say
from bot.conversation.core import LOCAL_TIME
from bot.i18n import RIGHT_TO_LEFT_MARK, texts
from tests.support.chat import TUESDAY_MORNING

# Telegram on a 390x844 phone: between the header and the text box about 650 px stay for messages; at
# Telegram's 16 px text (about 22 px a line) that is 29 lines, less the bubble's padding and the "More"
# button under it: 24 lines. A bubble is about 320 px wide, about 36 characters of Latin, Cyrillic or
# Arabic text; counted with 32 a line so that wide letters and broken words do not push it over.
SCREEN_LINES = 24
LINE_CHARACTERS = 32

NOW = TUESDAY_MORNING.astimezone(LOCAL_TIME)


def screen_lines(text: str) -> int:
    """Lines a phone shows for this text: each line of it wraps every LINE_CHARACTERS characters."""
    return sum(max(1, math.ceil(len(line) / LINE_CHARACTERS)) for line in text.split("\n"))


def test_every_topic_has_a_short_answer_within_the_limit_in_every_language(real_content: ContentBase) -> None:
    too_long = []
    for topic in real_content.topics.values():
        for language in LANGUAGES:
            translation = topic.translations[language]
            assert translation.short.strip(), f"{topic.id}/{language} has no short answer"
            if visible_length(translation.short) > SHORT_LIMIT:
                too_long.append((topic.id, language, visible_length(translation.short)))
    assert too_long == []


def test_a_topic_answer_starts_with_the_short_answer_and_shows_the_rest_behind_more(
    real_content: ContentBase,
) -> None:
    topic = real_content.topics["registration"]
    melle = real_content.region("melle")
    for language in LANGUAGES:
        t = texts(language)
        [first] = say.answer(real_content, topic, t, melle, NOW)
        translation = topic.translations[language]
        shown = first.plain_text
        assert first.buttons[0][0].action == "more:registration"
        assert first.buttons[0][0].label.endswith(t.gettext("More details"))
        assert topic.translations[language].title in shown
        assert "Wohnungsgeberbestätigung" in shown  # the first step, in every language
        assert (
            say.more(real_content, topic, t, melle, NOW).plain_text.count(_first_words(translation.answer))
            == 1
        )
        assert _first_words(translation.answer) not in shown


def _first_words(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).split("\n")[0][:30]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_emergency_message_starts_with_112_and_110_and_fits_one_phone_screen(
    real_content: ContentBase, language: str
) -> None:
    t = texts(language)
    urgent = [topic.id for topic in real_content.topics.values() if topic.care == "urgent"]
    assert "emergency" in urgent and "violence_protection" in urgent
    for topic_id in urgent:
        for region in (None, real_content.region("stadt_osnabrueck"), real_content.region("melle")):
            first, *_ = say.emergency(real_content, topic_id, t, region, NOW)
            shown = first.plain_text.replace(RIGHT_TO_LEFT_MARK, "")
            assert shown.startswith("🚨 112 "), shown[:40]
            assert re.findall(r"\d+", shown)[:2] == ["112", "110"]
            assert screen_lines(shown) <= SCREEN_LINES, (topic_id, language, screen_lines(shown))
            assert [button.action for row in first.buttons for button in row] == ["more:emergency"]
            assert "📍" not in shown  # every number is in the message: no place card repeats one


def test_markup_does_not_count_towards_the_limit_but_text_does(content_dir: Path) -> None:
    path = content_dir / "topics" / "registration.yaml"
    topic = yaml.safe_load(path.read_text("utf-8"))
    words = "y" * (SHORT_LIMIT - 10)
    topic["translations"]["tr"]["short"] = f'<b>{words}</b> <a href="https://example.org/a">link</a>'
    path.write_text(yaml.safe_dump(topic, allow_unicode=True, sort_keys=False), "utf-8")
    content, problems = check(content_dir)
    assert content is not None, problems
    too_long = f"{words} and more words"
    topic["translations"]["tr"]["short"] = too_long
    path.write_text(yaml.safe_dump(topic, allow_unicode=True, sort_keys=False), "utf-8")
    content, problems = check(content_dir)
    assert content is None
    assert [str(p) for p in problems if "short" in p.message] == [
        f"content/topics/registration.yaml:{_line_of(path, 'short:', 'tr')}: "
        f"tr: short has {len(too_long)} visible characters (limit {SHORT_LIMIT})"
    ]


def _line_of(path: Path, key: str, language: str) -> int:
    """The line of `key` inside the block of `language` (the fixture writes one block per language)."""
    lines = path.read_text("utf-8").splitlines()
    start = lines.index(f"  {language}:")
    return next(n for n, line in enumerate(lines[start:], start + 1) if line.strip().startswith(key))
