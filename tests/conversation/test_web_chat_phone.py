"""The web chat as people use it on a phone (390×844) in headless Chromium: where the view lands,
what shows while the bot thinks, right-to-left text, the menu, the page without JavaScript."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
import yaml
from playwright.async_api import Locator, Page, Route, async_playwright, expect
from sqlalchemy import delete, select

from bot.content.model import LANGUAGES
from bot.conversation import outbox
from bot.conversation.core import Conversation
from bot.conversation.messages import Reply
from bot.handoff import cases
from bot.i18n import texts
from bot.settings import PROJECT_ROOT
from bot.storage.models import Case, Message, OutboxEntry, User
from bot.web.page import NO_JAVASCRIPT
from tests.conftest import write_content
from tests.handoff.conftest import add_staff
from tests.support.browser import browser_context, fresh_profile, launch_chromium, page  # noqa: F401

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
EMERGENCY_FIRST_LINE = "🚨 112 · 110"
LONG_URL = (
    "https://www.osnabrueck.de/buergerservice/dienstleistungen/anmeldung-eines-wohnsitzes-in-osnabrueck"
)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """The test content, with an emergency answer as long as the real one (numbers first, then
    pages of advice, sources and hotline hours)."""
    directory = write_content(tmp_path / "content")
    path = directory / "topics" / "emergency.yaml"
    topic = yaml.safe_load(path.read_text("utf-8"))
    advice = "\n".join(f"Advice {n}: who helps, when." for n in range(50))
    for language in LANGUAGES:
        topic["translations"][language]["short"] = f"<b>{EMERGENCY_FIRST_LINE}</b>\nCall now."
        topic["translations"][language]["answer"] = f"<b>{EMERGENCY_FIRST_LINE}</b>\n{advice}"
    path.write_text(yaml.safe_dump(topic, allow_unicode=True, sort_keys=False), "utf-8")
    # An office with a phone's hours and a long web address, as real cards have them.
    path = directory / "places" / "office_city.yaml"
    office = yaml.safe_load(path.read_text("utf-8"))
    office["phones"][0]["hours"] = {"mon": ["08:00-10:00"], "tue": ["08:00-10:00"], "thu": ["14:00-18:00"]}
    office["web"] = LONG_URL
    path.write_text(yaml.safe_dump(office, allow_unicode=True, sort_keys=False), "utf-8")
    # Facts of an older month, as some real topics have them ("станом на березень 2022 р.").
    path = directory / "topics" / "registration.yaml"
    registration = yaml.safe_load(path.read_text("utf-8"))
    registration["check_since"] = "2022-03"
    path.write_text(yaml.safe_dump(registration, allow_unicode=True, sort_keys=False), "utf-8")
    # All 22 places people choose from: the place question has a button for each.
    shutil.copy(PROJECT_ROOT / "content" / "regions.yaml", directory / "regions.yaml")
    return directory


@pytest.fixture
async def phone(page: Page) -> Page:  # noqa: F811
    await page.set_viewport_size(PHONE)
    return page


async def start(phone: Page, web_chat: str, language: str = "Deutsch") -> None:
    """Open the chat, choose the language and the place, as a new user does."""
    await phone.goto(web_chat + "/")
    await phone.get_by_role("button", name=language).click()
    await phone.locator("li.bot.place_question button").first.click()
    await expect(phone.locator("li.bot.place_saved")).to_be_visible()


async def direction(element: Locator) -> str:
    return str(await element.evaluate("element => getComputedStyle(element).direction"))


async def on_one_line(element: Locator) -> bool:
    return bool(
        await element.evaluate(
            "e => new Set([...e.getClientRects()].map((r) => Math.round(r.top))).size === 1"
        )
    )


async def send(phone: Page, text: str) -> None:
    await expect(phone.locator("#send")).to_be_enabled()  # the answer before has come
    await phone.fill("#text", text)
    await phone.keyboard.press("Enter")


async def hold_answers(phone: Page) -> asyncio.Event:
    """Messages stay on their way until the event returned is set."""
    answer_may_come = asyncio.Event()

    async def held(route: Route) -> None:
        await answer_may_come.wait()
        await route.continue_()

    await phone.route("**/api/chat/send", held)
    return answer_may_come


async def test_an_emergency_answer_is_read_from_its_first_line(phone: Page, web_chat: str) -> None:
    await start(phone, web_chat)
    await send(phone, "Mein Mann schlägt mich und ich habe Angst")
    await expect(phone.locator("li.bot.handoff")).to_be_visible()  # the last reply of the answer
    numbers = phone.locator("li.bot.emergency").first
    # The first new message is in view from its first line (at the top of the chat when the replies
    # are longer than the screen), with the emergency numbers; the long advice is behind "More".
    log_box, first_box = await phone.locator("#log").bounding_box(), await numbers.bounding_box()
    assert log_box and first_box
    assert log_box["y"] <= first_box["y"]
    assert first_box["y"] + first_box["height"] <= log_box["y"] + log_box["height"]
    await expect(numbers.get_by_text(EMERGENCY_FIRST_LINE)).to_be_in_viewport()
    await expect(numbers).not_to_contain_text("Advice 1:")


async def test_while_the_bot_thinks_the_page_says_so_and_sends_nothing_more(
    phone: Page, web_chat: str
) -> None:
    await start(phone, web_chat)
    answer_may_come = await hold_answers(phone)
    await send(phone, "registration de question 5")
    await expect(phone.locator("#typing")).to_be_visible()
    await expect(phone.locator("#typing")).to_have_text("Wegweiser schreibt …")
    await expect(phone.locator("#log")).to_have_attribute("aria-busy", "true")
    await expect(phone.locator("#send")).to_be_disabled()
    # Enter again while waiting: the text stays in the box, nothing is sent.
    await phone.fill("#text", "noch eine Frage")
    await phone.keyboard.press("Enter")
    await expect(phone.locator("#text")).to_have_value("noch eine Frage")
    answer_may_come.set()
    await expect(phone.locator("li.bot.answer")).to_be_visible()
    await expect(phone.locator("#typing")).to_be_hidden()
    await expect(phone.locator("#log")).to_have_attribute("aria-busy", "false")
    await expect(phone.locator("#send")).to_be_enabled()
    await expect(phone.locator("li.user", has_text="noch eine Frage")).to_have_count(0)


async def test_a_double_click_or_a_double_enter_sends_once_and_gets_one_answer(
    phone: Page, web_chat: str
) -> None:
    await phone.goto(web_chat + "/")
    await phone.get_by_role("button", name="Deutsch").dblclick()
    await phone.locator("li.bot.place_question button").first.click()
    await send(phone, "registration de question 5")
    await phone.keyboard.press("Enter")
    await send(phone, "/help")  # answered after anything sent before it
    await expect(phone.locator("li.bot.help")).to_be_visible()
    await expect(phone.locator("li.user", has_text="Deutsch")).to_have_count(1)
    await expect(phone.locator("li.bot.welcome")).to_have_count(1)
    await expect(phone.locator("li.user", has_text="registration de question 5")).to_have_count(1)
    await expect(phone.locator("li.bot.answer")).to_have_count(1)


async def test_arabic_reads_right_to_left_and_a_german_staff_reply_left_to_right(
    phone: Page, web_chat: str, conversation: Conversation
) -> None:
    await start(phone, web_chat, "العربية")
    await expect(phone.locator("html")).to_have_attribute("lang", "ar")
    await expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    await expect(phone.locator("#text")).to_have_attribute("dir", "auto")  # typed Arabic is not jumbled
    await send(phone, "registration ar question 5")
    card = phone.locator("li.bot.answer")
    await expect(card).to_be_visible()
    assert await direction(card) == "rtl"
    # The phone's hours: each time range on one line, in Arabic order.
    hours = card.locator(".nowrap", has_text="8:00 ص–10:00 ص")
    await expect(hours).to_have_count(2)  # Monday and Tuesday
    assert all([await on_one_line(hours.nth(0)), await on_one_line(hours.nth(1))])
    # "More" shows the whole card: a long address reads left to right and breaks inside itself; the
    # chat never scrolls sideways.
    await card.get_by_role("button", name="➕ " + texts("ar").gettext("More details")).click()
    card = phone.locator("li.bot.more")
    await expect(card).to_be_visible()
    assert await direction(card) == "rtl"
    url = card.locator("a.url")
    await expect(url).to_have_attribute("dir", "ltr")
    assert await phone.locator("#log").evaluate("log => log.scrollWidth <= log.clientWidth")
    assert await phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    # Staff write German: their reply reads left to right in the Arabic chat.
    async with conversation.database.session() as session, session.begin():
        user = (await session.execute(select(User).where(User.channel == "web"))).scalar_one()
        german = "Guten Tag, hier ist Frau K. vom Team. Wir rufen Sie morgen an."
        await outbox.enqueue(session, user, [Reply(text=german, kind="staff", language="ar", rtl=True)])
    staff = phone.locator("li.bot.staff")
    await expect(staff).to_be_visible(timeout=8000)
    assert await direction(staff) == "ltr"


async def test_the_menu_is_a_visible_button_right_before_the_text_box(phone: Page, web_chat: str) -> None:
    await phone.goto(web_chat + "/")
    deutsch = phone.get_by_role("button", name="Deutsch")
    await deutsch.focus()
    await phone.keyboard.press("Enter")  # the language, chosen with the keyboard
    await expect(phone.locator("li.bot.place_question button")).to_have_count(22)
    await expect(phone.locator("#send")).to_be_enabled()
    presses = 0
    while presses < 40 and not await phone.locator("#text").evaluate("box => box === document.activeElement"):
        await phone.keyboard.press("Tab")
        presses += 1
    assert presses <= 3  # the place buttons (one stop), the menu, the text box
    # Among the place buttons, the arrow keys move.
    await phone.keyboard.press("Shift+Tab")
    await phone.keyboard.press("Shift+Tab")
    await phone.keyboard.press("ArrowDown")
    await expect(phone.locator("li.bot.place_question button").nth(1)).to_be_focused()
    # The menu offers the commands, in German now, and sends the one chosen.
    menu_button = phone.get_by_role("button", name="Menü")
    await expect(menu_button).to_be_visible()
    await menu_button.click()
    await expect(menu_button).to_have_attribute("aria-expanded", "true")
    labels = await phone.locator("#menu button").all_inner_texts()
    assert labels == [
        "Themen ansehen",
        "Sprache ändern",
        "Wohnort ändern",
        "Mit einem Menschen sprechen",
        "Was über Sie gespeichert ist",
        "Alle gespeicherten Daten löschen",
        "So funktioniert dieser Bot",
    ]
    heights = [
        box["height"]
        for box in [await b.bounding_box() for b in await phone.locator("button:visible").all()]
        if box
    ]
    assert len(heights) > 30 and min(heights) >= 44
    await phone.get_by_role("button", name="Sprache ändern").click()
    await expect(phone.locator("#menu")).to_be_hidden()
    await expect(phone.locator("li.user").last).to_have_text("Sprache ändern")
    await expect(phone.locator("li.bot.language_picker")).to_have_count(2)


async def test_without_javascript_the_page_gives_the_emergency_numbers_in_every_language(
    web_chat: str, tmp_path: Path
) -> None:
    async with async_playwright() as playwright:
        context = await launch_chromium(playwright, fresh_profile(tmp_path), javascript=False)
        try:
            phone = context.pages[0] if context.pages else await context.new_page()
            await phone.set_viewport_size(PHONE)
            await phone.goto(web_chat + "/")
            await expect(phone.get_by_role("link", name="112", exact=True)).to_be_in_viewport()
            await expect(phone.get_by_role("link", name="110", exact=True)).to_be_in_viewport()
            for language in LANGUAGES:
                line = phone.locator(f".no-javascript p[lang={language}]")
                await expect(line).to_have_text(texts(language).gettext(NO_JAVASCRIPT))
                await expect(line).to_have_attribute("dir", "rtl" if language in ("ar", "fa") else "ltr")
            # Nothing that looks like a chat that would work.
            await expect(phone.locator("#compose")).to_be_hidden()
            await expect(phone.locator("textarea")).to_be_hidden()
        finally:
            await context.close()


async def test_after_a_reload_the_conversation_and_the_open_case_are_still_there(
    phone: Page, web_chat: str
) -> None:
    await start(phone, web_chat)
    await send(phone, "registration de question 5")
    await expect(phone.locator("li.bot.answer")).to_be_visible()
    await phone.get_by_role("button", name="Menü").click()
    await phone.locator("#menu").get_by_role("button", name="Mit einem Menschen sprechen").click()
    await expect(phone.locator("li.bot.handoff")).to_be_visible()
    await phone.reload()
    await expect(phone.locator("li.user", has_text="registration de question 5")).to_be_visible()
    await expect(phone.locator("li.bot.answer")).to_contain_text("registration title de")
    await expect(phone.locator("li.bot.handoff")).to_have_count(1)
    await expect(phone.locator("li.case-open")).to_have_text(
        "Ihre Anfrage liegt bei unserem Team. Die Antwort erscheint hier."
    )
    await expect(phone.locator("li.case-open")).to_be_in_viewport()
    await expect(phone.locator("html")).to_have_attribute("lang", "de")
    await expect(phone.locator("li.user", has_text="👋")).to_have_count(0)  # no new start


async def test_a_reload_before_choosing_a_language_shows_the_choice_again(phone: Page, web_chat: str) -> None:
    await phone.goto(web_chat + "/")
    await expect(phone.locator("li.bot.language_picker button")).to_have_count(8)
    await phone.reload()
    await expect(phone.locator("li.bot.language_picker")).to_have_count(1)
    await expect(phone.locator("li.bot.language_picker button")).to_have_count(8)
    await phone.get_by_role("button", name="Deutsch").click()
    await expect(phone.locator("li.bot.place_question")).to_be_visible()


# --- issue #25, items 2, 4, 5 and the smaller ones -----------------------------------------------


async def screenshot(phone: Page, name: str) -> None:
    """For a person to look at (right-to-left above all): saved when SCREENSHOTS names a folder."""
    if folder := os.environ.get("SCREENSHOTS"):
        await phone.screenshot(path=str(Path(folder) / f"{name}.png"))


async def test_turkish_typed_on_a_german_phone_is_answered_in_turkish(phone: Page, web_chat: str) -> None:
    await phone.goto(web_chat + "/")  # the browser says de-DE
    await expect(phone.locator("li.bot.language_picker")).to_be_visible()
    await send(phone, "Merhaba, acil yardım lazım, kocam beni dövüyor")
    numbers = phone.locator("li.bot.emergency").first
    await expect(numbers).to_have_attribute("lang", "tr")
    await expect(numbers.get_by_text(EMERGENCY_FIRST_LINE)).to_be_in_viewport()
    await expect(phone.locator("html")).to_have_attribute("lang", "tr")
    await expect(phone.locator("#typing")).to_have_text(texts("tr").gettext("Wegweiser is writing …"))


async def test_farsi_typed_on_a_german_phone_turns_the_page_right_to_left(phone: Page, web_chat: str) -> None:
    await phone.goto(web_chat + "/")
    await expect(phone.locator("li.bot.language_picker")).to_be_visible()
    # «اسنابروک»: a spelling the content does not list; the question comes in the second sentence.
    await send(phone, "در شهر اسنابروک زندگی می‌کنم. registration fa question 4")
    card = phone.locator("li.bot.answer")
    await expect(card).to_contain_text("registration title fa")
    await expect(card).to_contain_text("City Office")
    await expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    assert await direction(card) == "rtl"
    assert await direction(phone.locator("li.user").last) == "rtl"  # typed Farsi reads right to left
    await expect(card.get_by_text("registration title fa")).to_be_in_viewport()  # its first line
    await screenshot(phone, "farsi-first-message")


async def test_while_a_case_is_open_an_arabic_question_is_still_answered(phone: Page, web_chat: str) -> None:
    await start(phone, web_chat, "العربية")
    await send(phone, "/human")
    await expect(phone.locator("li.bot.handoff")).to_be_visible()
    await send(phone, "registration ar question 5")
    card = phone.locator("li.bot.answer")
    await expect(card).to_contain_text("registration title ar")
    note = phone.locator("li.bot.forwarded")
    await expect(note).to_contain_text(
        texts("ar").gettext("Your request stays open: the team sees this message too and will answer here.")
    )
    assert await direction(note) == "rtl"
    await expect(card.get_by_text("registration title ar")).to_be_in_viewport()
    await screenshot(phone, "arabic-case-open-answer")


async def test_no_thanks_after_not_helpful_is_not_you_are_welcome(phone: Page, web_chat: str) -> None:
    await start(phone, web_chat)
    await send(phone, "registration de question 5")
    card = phone.locator("li.bot.answer")
    await card.locator("button").filter(has_text="👎").click()
    offer = phone.locator("li.bot.offer_person")
    await offer.get_by_role("button", name=texts("de").gettext("No, thanks")).click()
    answer = phone.locator("li.bot.smalltalk").last
    await expect(answer).to_contain_text("/menu")
    await expect(answer).not_to_contain_text(
        texts("de").gettext("You are welcome! Ask me anything else any time.")
    )


async def test_after_a_reload_the_buttons_are_back_and_work(phone: Page, web_chat: str) -> None:
    await start(phone, web_chat, "فارسی")
    await send(phone, "registration fa question 5")
    await expect(phone.locator("li.bot.answer")).to_be_visible()
    await phone.reload()
    card = phone.locator("li.bot.answer")
    await expect(card).to_contain_text("registration title fa")
    await expect(card.locator(".buttons button").first).to_be_visible()  # "More details", back too
    related = card.locator(".buttons button", has_text="emergency title fa")
    await screenshot(phone, "farsi-after-reload")
    await related.click()  # the related topic: emergency, numbers first
    await expect(phone.locator("li.bot.emergency").get_by_text(EMERGENCY_FIRST_LINE)).to_be_in_viewport()
    await expect(phone.locator("li.user", has_text="👋")).to_have_count(0)


async def test_a_reload_after_everything_expired_greets_again(
    phone: Page, web_chat: str, conversation: Conversation
) -> None:
    await start(phone, web_chat)
    await send(phone, "registration de question 5")
    await expect(phone.locator("li.bot.answer")).to_be_visible()
    async with conversation.database.session() as session, session.begin():  # the retention period is over
        await session.execute(delete(Message))
        await session.execute(delete(OutboxEntry))
    await phone.reload()
    await expect(phone.locator("li.bot.language_picker button")).to_have_count(8)
    await expect(phone.locator("li.bot.language_picker")).to_be_in_viewport()


async def test_the_menu_waits_while_a_message_is_on_its_way(phone: Page, web_chat: str) -> None:
    await start(phone, web_chat)
    answer_may_come = await hold_answers(phone)
    menu_button = phone.get_by_role("button", name="Menü")
    await menu_button.click()
    await expect(phone.locator("#menu")).to_be_visible()
    await send(phone, "registration de question 5")
    await expect(phone.locator("#menu")).to_be_hidden()  # the open menu closed
    await expect(menu_button).to_be_disabled()
    answer_may_come.set()
    await expect(phone.locator("li.bot.answer")).to_be_visible()
    await expect(menu_button).to_be_enabled()
    await expect(phone.locator("li.user")).to_have_count(4)  # 👋, Deutsch, the place, the question


async def test_a_ukrainian_typing_the_city_is_not_offered_russian_and_reads_one_full_stop(
    phone: Page, web_chat: str
) -> None:
    await start(phone, web_chat, "українська")
    await send(phone, "Оснабрюк")
    await expect(phone.locator("li.user", has_text="Оснабрюк")).to_be_visible()
    await expect(phone.locator("#send")).to_be_enabled()  # answered
    await send(phone, "registration uk question 5")
    await phone.locator("li.bot.answer .buttons button").first.click()  # "More details": the dated card
    card = phone.locator("li.bot").last
    await expect(card).to_contain_text("березень 2022 р.;")
    assert ".." not in await card.inner_text()
    await expect(phone.locator("li.bot.language_offer")).to_have_count(0)
    await expect(phone.locator("html")).to_have_attribute("lang", "uk")


async def test_kurmanji_typed_on_a_german_phone_is_answered_in_kurmanji(phone: Page, web_chat: str) -> None:
    await phone.goto(web_chat + "/")
    await expect(phone.locator("li.bot.language_picker")).to_be_visible()
    await send(phone, "Ez li ku dikarim kursa almanî ji bo mezinan bibînim?")
    await expect(phone.locator("html")).to_have_attribute("lang", "ku")
    await expect(phone.locator("li.bot").last).to_have_attribute("lang", "ku")
    await expect(phone.locator("#menu-label")).to_have_text(texts("ku").gettext("Menu"))


async def test_a_staff_reply_to_someone_who_never_chose_a_language_keeps_their_page(
    phone: Page, web_chat: str, conversation: Conversation
) -> None:
    await phone.set_extra_http_headers({"Accept-Language": "ar"})  # an Arabic phone
    await phone.goto(web_chat + "/")
    await expect(phone.locator("li.bot.language_picker")).to_be_visible()
    await send(phone, "/human")  # no language chosen: the bot answers in the phone's
    await expect(phone.locator("li.bot.handoff")).to_have_attribute("lang", "ar")
    staff = await add_staff(conversation.database)
    async with conversation.database.session() as session, session.begin():
        [case] = (await session.execute(select(Case))).scalars().all()
        assert await cases.claim_case(session, case.id, staff)
        await cases.reply(session, case.id, staff, "Guten Tag, hier ist Frau K. vom Team.")
    reply = phone.locator("li.bot.staff")
    await expect(reply).to_have_attribute("lang", "ar", timeout=8000)
    await expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    heading, german = reply.locator("div").nth(0), reply.locator("div").nth(1)
    await expect(german).to_have_text("Guten Tag, hier ist Frau K. vom Team.")
    assert await direction(heading) == "rtl"  # "a message from our team", in Arabic
    assert await direction(german) == "ltr"  # German text reads left to right
    await screenshot(phone, "arabic-staff-reply")
