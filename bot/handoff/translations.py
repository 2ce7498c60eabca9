"""Machine translation in the staff console (TRANSLATE_URL): user messages into German, staff replies
out of it. The notes staff read when something was not translated are German, like the console.

What is sent to the translation service: the text of a user message of a case (when staff open the
case) and the text of a staff reply (when it is sent), with the two language codes. Nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.conversation.messages import storable
from bot.handoff.cases import ThreadEntry
from bot.translation.client import Reason, Translation, Translator

STAFF_LANGUAGE = "de"
# The console's names come from Babel ("Kurdisch"); what the engines lack is Kurmanji in particular.
ENGINE_LANGUAGE_NAMES = {"ku": "Kurmandschi"}

MARK = "maschinell übersetzt"
THREAD_NOTES: dict[Reason, str] = {
    "not_offered": "Für {language} gibt es keine maschinelle Übersetzung – bitte Textbausteine nutzen.",
    "unavailable": (
        "Der Übersetzungsdienst antwortet gerade nicht: Nachrichten ohne Übersetzung stehen im Original."
    ),
}
REPLY_NOTES: dict[Reason, str] = {
    "not_offered": (
        "Nicht übersetzt: Für {language} gibt es keine maschinelle Übersetzung. Die Antwort ging unverändert "
        "auf Deutsch hinaus – bitte Textbausteine nutzen."
    ),
    "unavailable": (
        "Nicht übersetzt: Der Übersetzungsdienst hat nicht rechtzeitig geantwortet. Die Antwort ging "
        "unverändert auf Deutsch hinaus."
    ),
}


def engine_language_name(code: str, name: str) -> str:
    """`name` (the console's German name of `code`), or the more exact one where it matters."""
    return ENGINE_LANGUAGE_NAMES.get(code, name)


@dataclass(frozen=True)
class ThreadTranslations:
    new: dict[int, str]  # event id -> German translation made just now (to be stored)
    note: str = ""  # for staff, when some messages stay untranslated


async def translate_thread(
    translator: Translator, source: str, language_name: str, thread: Sequence[ThreadEntry]
) -> ThreadTranslations:
    """German translations of the user messages in `thread` that have none yet, and a note for staff
    when some stay untranslated. Call it without holding a database connection: it waits for the
    service (at most its timeout)."""
    offered = await translator.offers(source, STAFF_LANGUAGE)
    if offered is False:
        return ThreadTranslations({}, THREAD_NOTES["not_offered"].format(language=language_name))
    waiting = [entry for entry in thread if entry.kind == "user_message" and entry.translation is None]
    if not waiting:
        return ThreadTranslations({})
    results = await translator.translate_all(
        [entry.text for entry in waiting], source=source, target=STAFF_LANGUAGE
    )
    # What comes back is stored: without what the database refuses (a NUL, in PostgreSQL).
    new = {
        entry.id: storable(result.text) for entry, result in zip(waiting, results, strict=True) if result.text
    }
    failed = next((result.reason for result in results if result.reason), None)
    note = THREAD_NOTES[failed].format(language=language_name) if failed else ""
    return ThreadTranslations(new, note)


@dataclass(frozen=True)
class ReplyTranslation:
    """What `cases.reply` sends: the translation (None: the German original) and the note for staff."""

    text: str | None
    staff_note: str = ""


def reply_translation(translation: Translation, language_name: str) -> ReplyTranslation:
    if translation.text is not None:
        return ReplyTranslation(storable(translation.text))
    reason = translation.reason or "unavailable"
    return ReplyTranslation(None, REPLY_NOTES[reason].format(language=language_name))
