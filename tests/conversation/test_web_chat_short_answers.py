"""The web chat on a phone (390×844, headless Chromium) with the real content: the emergency message
fits one screen, in German and in Arabic, and "More" shows the whole answer under the short one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from bot.i18n import texts
from bot.settings import PROJECT_ROOT
from tests.support.browser import browser_context, fresh_profile, launch_chromium, page  # noqa: F401

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", directory)
    return directory


@pytest.fixture
async def phone(page: Page) -> Page:  # noqa: F811
    await page.set_viewport_size(PHONE)
    return page


async def ask(phone: Page, web_chat: str, language: str, question: str) -> None:
    """A new user chooses the language and the city, then writes the question."""
    await phone.goto(web_chat + "/")
    await phone.get_by_role("button", name=texts(language).native_name()).click()
    await phone.locator("li.bot.place_question button").first.click()
    await expect(phone.locator("li.bot.place_saved")).to_be_visible()
    await phone.fill("#text", question)
    await phone.keyboard.press("Enter")


@pytest.mark.parametrize(
    ("language", "question", "violence"),
    [("de", "mein mann schlägt mich", "Polizei 110"), ("ar", "زوجي بيضربني", "الشرطة 110")],
)
async def test_the_emergency_message_fits_one_phone_screen(
    phone: Page, web_chat: str, language: str, question: str, violence: str
) -> None:
    await ask(phone, web_chat, language, question)
    await expect(phone.locator("li.bot.handoff")).to_be_visible()  # the last reply: the team is told
    messages = phone.locator("li.bot.emergency")
    await expect(messages).to_have_count(2)  # the numbers, then help against violence
    await expect(messages.nth(1)).to_contain_text(violence)
    first = messages.first
    assert (await first.inner_text()).lstrip("\u200f").startswith("🚨 112")
    log_box, first_box = await phone.locator("#log").bounding_box(), await first.bounding_box()
    assert log_box and first_box
    # The whole first message, its "More" button included, is in the chat's visible part of the screen.
    assert log_box["y"] <= first_box["y"]
    assert first_box["y"] + first_box["height"] <= log_box["y"] + log_box["height"] <= PHONE["height"]
    await expect(first).to_be_in_viewport(ratio=1)
    print(f"emergency message height {language}: {first_box['height']:.0f} px of {log_box['height']:.0f} px")


async def test_more_shows_the_whole_answer_under_the_short_one(phone: Page, web_chat: str) -> None:
    await ask(phone, web_chat, "de", "wo muss ich mich anmelden")
    short = phone.locator("li.bot.answer")
    await expect(short).to_contain_text("Wohnungsgeberbestätigung")
    await expect(short).not_to_contain_text("Familienbuch")  # a detail of the whole answer
    await short.get_by_role("button", name="➕ Mehr Details").click()
    more = phone.locator("li.bot.more")
    await expect(more).to_contain_text("Familienbuch")
    await expect(more).to_contain_text(texts("de").gettext("Source · checked on {date}").split("{")[0])
    await expect(phone.locator("li.user").last).to_have_text("➕ Mehr Details")
