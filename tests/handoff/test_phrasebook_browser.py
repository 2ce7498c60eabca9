"""Issue #27, done when: a counsellor who speaks only German understands, in the console, what a
Farsi-speaking user asked (through the matched topic), answers with phrases the user reads in Farsi
with the German on tap, and closes the case. Two pages in headless Chromium: the user's web chat on a
phone (390×844), the counsellor's console. Screenshots go to /tmp/phrasebook-*.png."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.async_api import BrowserContext, Page, expect

from bot.settings import PROJECT_ROOT
from bot.storage.database import Database
from tests.conftest import write_content
from tests.handoff.conftest import PASSWORD, add_staff
from tests.support.browser import serve_app

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp")
ARRIVES_WITHIN_MS = 5000  # the web chat polls for staff replies, the console for new messages


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """The test content with the real phrasebook."""
    directory = write_content(tmp_path / "content")
    shutil.copytree(PROJECT_ROOT / "content" / "phrases", directory / "phrases")
    return directory


async def log_in(console: Page, base: str) -> None:
    await console.goto(f"{base}/staff/login")
    await console.get_by_label("Benutzername").fill("anna")
    await console.get_by_label("Passwort").fill(PASSWORD)
    await console.get_by_role("button", name="Anmelden").click()
    await expect(console.get_by_role("heading", name="Warteschlange")).to_be_visible()


async def test_a_german_counsellor_answers_a_farsi_user_with_phrases(
    browser_context: BrowserContext, app: FastAPI, database: Database
) -> None:
    await add_staff(database, "anna", languages="de")
    phone = browser_context.pages[0] if browser_context.pages else await browser_context.new_page()
    await phone.set_viewport_size(PHONE)
    console = await browser_context.new_page()
    await console.set_viewport_size({"width": 1400, "height": 1100})
    async with serve_app(app) as base:
        # The user chooses Farsi and their place, asks (in Farsi) about registration, then asks
        # for a person under the answer.
        await phone.goto(base + "/")
        await phone.get_by_role("button", name="فارسی").click()
        await phone.locator("li.bot.place_question button").first.click()
        await expect(phone.locator("li.bot.place_saved")).to_be_visible()
        await phone.fill("#text", "registration fa question 3")
        await phone.keyboard.press("Enter")
        answer = phone.locator("li.bot.answer")
        await expect(answer).to_contain_text("registration short in fa.")
        await answer.locator("button").last.click()  # 🙋 talk to a person
        await expect(phone.locator("li.bot.handoff")).to_be_visible()

        # The counsellor reads, in German, what the person asked about and what the bot told them.
        await log_in(console, base)
        await console.locator("tr.case a").first.click()
        card = console.locator("dl.triage")
        await expect(card.locator(".briefing-question")).to_contain_text("registration fa question 3")
        await expect(card.locator(".briefing-question")).to_contain_text("Persisch")
        await expect(card.locator(".briefing-topic")).to_contain_text("registration title de")
        await expect(card.locator(".briefing-topic")).to_contain_text("registration short in de.")
        await expect(card.locator(".briefing-answer")).to_contain_text("Antwort aus einem Thema")
        await console.get_by_role("button", name="Fall übernehmen").click()

        # A phrase found by typing German, its slots filled, German and Farsi side by side.
        await console.get_by_label("Satz suchen (auf Deutsch)").fill("termin ort")
        await expect(console.locator("#phrase-choice")).to_have_value("appointment_at")
        await expect(console.locator("label.slot:not([hidden])")).to_have_count(3)
        await console.get_by_label("Datum").fill("2027-01-13")
        await console.get_by_label("Uhrzeit").fill("09:30")
        await console.locator("select[name=slot_place]").select_option(label="City Office")
        await expect(console.locator("#phrase-german")).to_contain_text(
            "Ihr Termin ist am 13. Januar 2027 um 09:30. Ort: City Office"
        )
        await expect(console.locator("#phrase-user")).to_contain_text("وقت ملاقات شما")
        await expect(console.locator("#phrase-user-language")).to_have_text("Persisch")
        await console.screenshot(path=str(SHOTS / "phrasebook-console-preview.png"), full_page=True)
        await console.get_by_role("button", name="Satz senden").click()
        await expect(console.locator(".entry.kind-staff_reply .text").last).to_contain_text(
            "Ihr Termin ist am 13. Januar 2027 um 09:30. Ort: City Office"
        )

        # A second one: a weekday slot, and the search finds it by a German word.
        await console.get_by_label("Satz suchen (auf Deutsch)").fill("rufen")
        await console.locator("#phrase-choice").select_option("call_you_on")
        await console.get_by_label("Wochentag").select_option(label="Mittwoch")
        await expect(console.locator("#phrase-user")).to_contain_text("روز چهارشنبه با شما تماس می‌گیریم.")
        await console.get_by_role("button", name="Satz senden").click()

        # The user reads both in Farsi, under "message from our team", right to left.
        staff = phone.locator("li.bot.staff")
        await expect(staff).to_have_count(2, timeout=ARRIVES_WITHIN_MS)
        await expect(staff.first).to_contain_text("پیام از طرف تیم ما")
        await expect(staff.first).to_contain_text("وقت ملاقات شما")
        await expect(staff.first).to_contain_text("📍 City Office")  # the place card
        assert await staff.first.evaluate("e => getComputedStyle(e).direction") == "rtl"
        await expect(staff.last).to_contain_text("روز چهارشنبه با شما تماس می‌گیریم.")
        await phone.screenshot(path=str(SHOTS / "phrasebook-phone-farsi.png"))

        # … and taps "show the German original" to show it at a counter.
        await staff.first.get_by_role("button", name="نمایش متن اصلی به آلمانی").click()
        original = phone.locator("li.bot.original")
        await expect(original).to_contain_text("Ihr Termin ist am 13. Januar 2027 um 09:30. Ort: City Office")
        await expect(original).to_contain_text("Marktplatz 1, 49074 Osnabrück")
        assert await original.evaluate("e => getComputedStyle(e).direction") == "ltr"
        await phone.screenshot(path=str(SHOTS / "phrasebook-phone-original.png"))

        # The counsellor closes the case; the user is asked how helpful it was, in Farsi.
        await console.get_by_label("Abschließen mit Ergebnis").select_option("answered")
        await console.get_by_role("button", name="Abschließen").click()
        await expect(console.locator("#live .status")).to_contain_text("geschlossen")
        await expect(phone.locator("li.bot.rating")).to_be_visible(timeout=ARRIVES_WITHIN_MS)
        await phone.screenshot(path=str(SHOTS / "phrasebook-phone-closed.png"))
