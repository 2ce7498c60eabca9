"""The staff console under /staff: server-rendered pages (Jinja2, autoescaped) and a little plain JS.

Sessions are signed cookies (itsdangerous, keyed by SECRET_KEY) that carry the account id, the
account's random session secret (replaced at logout and password change, so an old cookie stops
working, and never shared with another account, even one that gets a removed account's id) and the
CSRF token every POST must repeat. Every page and action but the login page and the two static files refuses an
anonymous request: a page view is redirected to the login, anything else gets 401. The queue and
the open case poll small fragments every second, so new cases and messages show up without reload.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from bot.content.model import LANGUAGES, SLOT_KINDS, SOURCE_LANGUAGE, ContentBase, Phrase
from bot.conversation.messages import plain_text, storable
from bot.handoff import cases, staff, translations
from bot.handoff.cases import OUTCOMES, CaseError, QueueFilter, Triage, aware
from bot.i18n import RIGHT_TO_LEFT_MARK, normalize_language
from bot.office_hours import WEEKDAYS
from bot.server.services import Services
from bot.storage.models import MAX_ID, Case, Message, StaffAccount, User
from bot.translation.client import Translator

log = logging.getLogger(__name__)

PREFIX = "/staff"
SESSION_COOKIE = "wegweiser_staff"
LOGIN_COOKIE = "wegweiser_staff_login"
SESSION_MAX_AGE = timedelta(hours=12)
LOGIN_FORM_MAX_AGE = timedelta(hours=1)
FETCH_HEADER = "X-Console-Fetch"  # set by console.js: answer 401 instead of redirecting to the login
CSRF_HEADER = "X-CSRF-Token"
STATIC_FILES = {"console.css": "text/css", "console.js": "text/javascript"}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
STATUS_NAMES = {
    "open": "offen",
    "claimed": "in Bearbeitung",
    "closed": "geschlossen",
    "deleted": "vom Nutzer gelöscht",
}
STATUS_FILTER_NAMES = {
    "active": "offen + in Bearbeitung",
    "open": "offen",
    "claimed": "in Bearbeitung",
    "closed": "geschlossen",
    "deleted": "vom Nutzer gelöscht",
    "all": "alle",
}
REASON_NAMES = {
    "asked": "hat nach einer Person gefragt",
    "failed_twice": "Bot konnte zweimal nicht helfen",
    "not_helpful": "Antwort war nicht hilfreich",
    "legal": "Rechtsfrage",
    "urgent": "dringend",
}
EVENT_NAMES = {
    "user_message": "Nachricht der Person",
    "bot_answer": "Antwort des Bots",
    "staff_reply": "Antwort",
    "note": "Interne Notiz",
    "status": "Status",
}
STATUS_EVENT_NAMES = {"claimed": "übernommen", "released": "zurückgegeben", "reopened": "wieder geöffnet"}
# What the bot made of a message, and what kind of reply it sent: the console shows German words,
# never the internal names (an unknown one is left out).
ACTION_NAMES = {
    "answer": "Antwort aus einem Thema",
    "clarify": "Rückfrage: welches Thema?",
    "ask_place": "Frage nach dem Wohnort",
    "handoff": "an das Team übergeben",
    "emergency": "Notfall-Nummern",
    "fallback": "nicht verstanden",
    "smalltalk": "Gruß oder Dank",
    "command": "Befehl",
    "too_long": "zu lange Nachricht",
    "delete_question": "Frage: Daten löschen?",
    "deleted": "Daten gelöscht",
    "empty": "leere Nachricht",
    "feedback": "Frage: war das hilfreich?",
    "forwarded": "an das Team weitergeleitet",
    "help": "Hilfe",
    "kept": "Daten behalten",
    "language_offer": "andere Sprache angeboten",
    "language_picker": "Sprachauswahl",
    "limit": "Limit erreicht",
    "menu": "Themenmenü",
    "offer_person": "Person angeboten",
    "original": "deutsches Original gezeigt",
    "place_question": "Frage nach dem Wohnort",
    "place_saved": "Wohnort gespeichert",
    "place_unknown": "Wohnort nicht erkannt",
    "privacy": "Datenschutz",
    "rating": "Frage nach Bewertung",
    "stale_button": "alter Knopf",
    "unsupported": "Bild, Sprachnachricht o. Ä.",
    "welcome": "Begrüßung",
}
# Replies that tell nothing about the person's question: the card's "last answer" skips them.
NOT_ANSWERS = frozenset(
    {"staff", "original", "handoff", "forwarded", "rating", "feedback", "language_picker"}
)
SLOT_KIND_NAMES = {
    "date": "Datum",
    "time": "Uhrzeit",
    "weekday": "Wochentag",
    "place": "Stelle",
    "text": "Text",
}
WEEKDAY_NAMES = dict(
    zip(
        WEEKDAYS,
        ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        strict=True,
    )
)
SHORT_LIMIT = 400  # characters of a topic's answer shown on the triage card

# What a message may not carry into the console: direction embeddings, overrides and isolates
# (U+202A-202E, U+2066-2069), which could reorder what staff read around and inside it, and
# invisible characters that no language needs (zero-width space, word joiner, BOM). Zero-width
# (non-)joiners stay: Persian, Kurdish, Arabic and emoji need them. Each message is also shown in an
# element of its own with dir="auto", so its direction ends where it ends.
HIDDEN_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200B, 0x2060, 0xFEFF])


def shown(text: str) -> str:
    """A message's text as the console shows it: without HIDDEN_CONTROLS."""
    return text.translate(HIDDEN_CONTROLS)


def readable(html: str) -> str:
    """A bot reply as staff read it: plain text, without the marks that lay out right-to-left lines."""
    return shown(plain_text(html).replace(RIGHT_TO_LEFT_MARK, ""))


@cache
def _generated_key() -> str:
    """One key per process when SECRET_KEY is unset; sessions end when the process does."""
    log.warning(
        "SECRET_KEY is not set: generated a key for this process; staff console sessions end at restart "
        "(set SECRET_KEY to keep them, and when running several workers)"
    )
    return secrets.token_urlsafe(48)


def secret_key(services: Services) -> str:
    configured = services.settings.secret_key
    return configured.get_secret_value() if configured is not None else _generated_key()


def _now() -> datetime:
    return datetime.now(UTC)


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return "–"
    return aware(moment).astimezone(cases.LOCAL_TIME).strftime("%d.%m.%Y %H:%M")


def duration(start: datetime, end: datetime | None = None) -> str:
    seconds = max(0, int(((end and aware(end)) or _now()).timestamp() - aware(start).timestamp()))
    minutes, hours, days = seconds // 60 % 60, seconds // 3600 % 24, seconds // 86400
    if days:
        return f"{days} Tg. {hours} Std."
    if hours:
        return f"{hours} Std. {minutes} Min."
    return f"{minutes} Min."


@cache
def _german_language_names() -> Mapping[str, str]:
    names = Locale.parse("de").languages
    return {code: str(names.get(code, code)) for code in LANGUAGES}


def language_name(tag: str | None) -> str:
    code = normalize_language(tag)
    if code is None:
        return tag or "unbekannt"
    return _german_language_names()[code]


def page_number(text: str) -> int:
    """A page number from a query parameter; anything else is the first page."""
    return int(text) if text.isdigit() and len(text) <= 6 else 1


@dataclass(frozen=True)
class TopicSummary:
    """A topic as the triage card shows it: German title and short answer."""

    id: str
    title: str
    short: str


@dataclass(frozen=True)
class Briefing:
    """What the person asked and was told, in German where it can be, at the top of the card."""

    question: Message | None  # their last message before the case (or the last one at all)
    topic: TopicSummary | None  # the topic the bot matched for it (or the case's first topic)
    last_answer: Message | None  # the bot's last reply to them, in their language
    last_answer_topic: TopicSummary | None  # its topic in German, when it was a topic's answer


@dataclass(frozen=True)
class SlotField:
    """One input for a slot in the phrasebook form; shared by every phrase with that slot."""

    name: str
    kind: str
    label: str


@dataclass(frozen=True)
class PhraseGroup:
    title: str
    phrases: list[Phrase]


@dataclass(frozen=True)
class Login:
    """The staff member behind a request and their session's CSRF token.

    `account` belongs to the request's unit of work; the other fields are a copy the templates can
    read even after a rollback.
    """

    account: StaffAccount
    csrf: str
    username: str
    role: str
    languages: tuple[str, ...]

    @classmethod
    def of(cls, account: StaffAccount, csrf: str) -> Login:
        return cls(account, csrf, account.username, account.role, staff.languages_of(account))

    @property
    def is_editor(self) -> bool:
        return self.role in staff.EDITOR_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role in staff.ADMIN_ROLES


class Console:
    def __init__(self, services: Services) -> None:
        self.services = services
        key = secret_key(services)
        self.sessions = URLSafeTimedSerializer(key, salt="wegweiser.staff.session")
        self.login_forms = URLSafeTimedSerializer(key, salt="wegweiser.staff.login")
        self.templates = Environment(
            loader=PackageLoader("bot.handoff", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.globals.update(
            prefix=PREFIX,
            local_time=local_time,
            duration=duration,
            language_name=language_name,
            status_names=STATUS_NAMES,
            reason_names=REASON_NAMES,
            event_names=EVENT_NAMES,
            status_event_names=STATUS_EVENT_NAMES,
            action_names=ACTION_NAMES,
            outcomes=OUTCOMES,
            plain_text=plain_text,
            machine_mark=translations.MARK,
        )
        self.templates.filters["shown"] = shown
        self.templates.filters["readable"] = readable

    @property
    def content(self) -> ContentBase:
        return self.services.content.current

    @property
    def translator(self) -> Translator | None:
        return self.services.translator

    # --- responses -------------------------------------------------------------------------------

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)

    def redirect(self, path: str) -> RedirectResponse:
        return RedirectResponse(PREFIX + path, status_code=303, headers=SECURITY_HEADERS)

    def _cookie(
        self, request: Request, response: Response, name: str, value: str, max_age: timedelta
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=int(max_age.total_seconds()),
            path=PREFIX,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    # --- who is asking ---------------------------------------------------------------------------

    def refuse(self, request: Request) -> HTTPException:
        if request.method == "GET" and FETCH_HEADER not in request.headers:
            return HTTPException(303, "Bitte anmelden.", headers={"Location": f"{PREFIX}/login"})
        return HTTPException(401, "Bitte anmelden.")

    async def login_of(self, request: Request, session: AsyncSession) -> Login:
        """The logged-in staff member; on a POST also checks the CSRF token. Raises otherwise."""
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise self.refuse(request)
        try:
            data = self.sessions.loads(cookie, max_age=int(SESSION_MAX_AGE.total_seconds()))
            staff_id, secret, csrf = int(data["id"]), str(data["secret"]), str(data["csrf"])
        except (BadSignature, KeyError, TypeError, ValueError):
            raise self.refuse(request) from None
        account = await session.get(StaffAccount, staff_id, populate_existing=True)
        if account is None or not hmac.compare_digest(account.session_secret.encode(), secret.encode()):
            raise self.refuse(request)
        if request.method == "POST":
            sent = request.headers.get(CSRF_HEADER) or str((await request.form()).get("csrf") or "")
            if not hmac.compare_digest(sent.encode(), csrf.encode()):
                raise HTTPException(403, "CSRF-Token fehlt oder ist falsch. Bitte die Seite neu laden.")
        return Login.of(account, csrf)

    def start_session(self, request: Request, response: Response, account: StaffAccount) -> None:
        token = self.sessions.dumps(
            {"id": account.id, "secret": account.session_secret, "csrf": secrets.token_urlsafe(32)}
        )
        self._cookie(request, response, SESSION_COOKIE, token, SESSION_MAX_AGE)
        response.delete_cookie(LOGIN_COOKIE, path=PREFIX)

    # --- pages -----------------------------------------------------------------------------------

    def login_page(self, request: Request, message: str = "", status_code: int = 200) -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        response = self.render("login.html", status_code, csrf=token, message=message)
        self._cookie(request, response, LOGIN_COOKIE, self.login_forms.dumps(token), LOGIN_FORM_MAX_AGE)
        return response

    def login_form_valid(self, request: Request, sent: str) -> bool:
        try:
            expected = self.login_forms.loads(
                request.cookies.get(LOGIN_COOKIE, ""), max_age=int(LOGIN_FORM_MAX_AGE.total_seconds())
            )
        except BadSignature:
            return False
        return isinstance(expected, str) and hmac.compare_digest(sent.encode(), expected.encode())

    def topic_title(self, topic_id: str) -> str:
        topic = self.content.topics.get(topic_id)
        if topic is None or "de" not in topic.translations:
            return topic_id
        return topic.translations["de"].title

    def topic_summary(self, topic_id: str | None) -> TopicSummary | None:
        """The topic in German: its title and short answer."""
        topic = self.content.topics.get(topic_id or "")
        if topic is None or SOURCE_LANGUAGE not in topic.translations:
            return None
        german = topic.translations[SOURCE_LANGUAGE]
        short = plain_text(german.short).strip()
        if len(short) > SHORT_LIMIT:
            short = short[: SHORT_LIMIT - 1].rstrip() + "…"
        return TopicSummary(topic.id, german.title, short)

    def briefing(self, found: cases.Triage) -> Briefing:
        asked = [m for m in found.history if m.direction == "in" and m.action != "command"]
        opened = aware(found.case.opened_at)
        before_case = [m for m in asked if aware(m.created_at) <= opened]
        question = (before_case or asked)[-1] if asked else None
        case_topics = [t for t in found.case.topics.split(",") if t]
        topic_id = (question.topic if question else None) or (case_topics[0] if case_topics else None)
        from_bot = [m for m in found.history if m.direction == "out" and m.action not in NOT_ANSWERS]
        last_answer = from_bot[-1] if from_bot else None
        return Briefing(
            question=question,
            topic=self.topic_summary(topic_id),
            last_answer=last_answer,
            last_answer_topic=self.topic_summary(last_answer.topic if last_answer else None),
        )

    def phrasebook(self) -> tuple[list[PhraseGroup], list[SlotField]]:
        """The phrases by group, in file order, and one form field per slot name and kind."""
        groups: dict[str, PhraseGroup] = {}
        fields: dict[tuple[str, str], SlotField] = {}
        for phrase in self.content.phrases.values():
            groups.setdefault(phrase.group, PhraseGroup(phrase.group_title, [])).phrases.append(phrase)
            for name, kind in phrase.slots.items():
                label = SLOT_KIND_NAMES[kind] + ("" if name == kind else f" ({name})")
                fields.setdefault((name, kind), SlotField(name, kind, label))
        return list(groups.values()), sorted(
            fields.values(), key=lambda f: (SLOT_KINDS.index(f.kind), f.name)
        )

    def region_name(self, region_id: str | None) -> str:
        if not region_id:
            return "unbekannt"
        region = self.content.region(region_id)
        return region.name if region else region_id

    def common(self, login: Login) -> dict[str, Any]:
        return {
            "login": login,
            "topic_title": self.topic_title,
            "region_name": self.region_name,
            "speaks": lambda tag: normalize_language(tag) in login.languages,
        }

    async def queue_context(self, session: AsyncSession, login: Login, request: Request) -> dict[str, Any]:
        params = request.query_params
        filters = QueueFilter.parse(
            params.get("status", "active"),
            params.get("language", ""),
            params.get("region", ""),
            params.get("urgency", ""),
        )
        found = await cases.queue(session, filters, page=page_number(params.get("page", "")))
        chosen = {k: v for k, v in vars(filters).items() if v and not (k == "status" and v == "active")}

        def query(page: int) -> str:
            return urlencode({**chosen, **({"page": page} if page > 1 else {})})

        return {
            **self.common(login),
            "filters": filters,
            "queue": found,
            "items": found.items,
            "query": query(found.page),
            "page_link": lambda page: f"{PREFIX}?{query(page)}",
            "recent": await cases.recent_cases(session),
            "page_size": cases.QUEUE_PAGE_SIZE,
            "status_filters": STATUS_FILTER_NAMES,
            "languages": [(code, language_name(code)) for code in LANGUAGES],
            "regions": [(region.id, region.name) for region in self.content.regions],
        }

    async def case_context(
        self, session: AsyncSession, login: Login, case_id: int, before: str = "", **extra: Any
    ) -> dict[str, Any]:
        # `before` pages the thread back; an id no event can have would overflow the database's integer
        older_than = int(before) if before.isdigit() and int(before) <= MAX_ID else None
        found = await cases.triage(session, existing_case_id(case_id), before=older_than)
        if found is None:
            raise HTTPException(404, "Diesen Fall gibt es nicht.")
        topics = sorted(
            ((topic_id, self.topic_title(topic_id)) for topic_id in self.content.topics),
            key=lambda pair: pair[1].casefold(),
        )
        answered = list(dict.fromkeys(m.topic for m in found.history if m.direction == "out" and m.topic))
        phrase_groups, slot_fields = self.phrasebook()
        found, machine_note = await self.translated(session, found)
        language = normalize_language(found.case.language)
        case_topics = [t for t in found.case.topics.split(",") if t]
        # The canned answer preselected: the topic the case came with, else none (not the
        # alphabetically first topic, which a hurried click would send to the person).
        matched = next((topic for topic in case_topics if topic in self.content.topics), None)
        return {
            **self.common(login),
            "triage": found,
            "briefing": self.briefing(found),
            "phrase_groups": phrase_groups,
            "slot_fields": slot_fields,
            "places": sorted(self.content.places.values(), key=lambda place: place.name.casefold()),
            "weekday_names": WEEKDAY_NAMES,
            "case": found.case,
            "machine_note": machine_note,
            # The reply form offers machine translation into the user's language (staff untick it
            # for a text already in that language, such as a Textbaustein).
            "machine_reply": self.translator is not None
            and language not in (None, translations.STAFF_LANGUAGE),
            "case_topics": case_topics,
            "matched_topic": matched,
            "answered_topics": answered,
            "all_topics": topics,
            "error": "",
            "draft": "",
            **extra,
        }

    async def translated(self, session: AsyncSession, found: Triage) -> tuple[Triage, str]:
        """`found` with German translations of its user messages (made now where missing, and
        stored), and a note for staff when some stay untranslated; unchanged when MT is off."""
        source = normalize_language(found.case.language)
        if self.translator is None or source is None or source == translations.STAFF_LANGUAGE:
            return found, ""
        # The service is asked without holding a database connection (SQLite has one for everybody).
        await session.commit()
        name = translations.engine_language_name(source, language_name(source))
        done = await translations.translate_thread(self.translator, source, name, found.thread)
        if not done.new:
            return found, done.note
        await cases.store_translations(session, done.new)
        await session.commit()
        thread = [
            replace(entry, translation=done.new.get(entry.id, entry.translation)) for entry in found.thread
        ]
        return replace(found, thread=thread), done.note

    async def translate_reply(
        self, session: AsyncSession, case_id: int, text: str
    ) -> translations.ReplyTranslation | None:
        """The staff reply in the user's language, or why not; None when there is nothing to translate."""
        case = await session.get(Case, case_id)
        # A reply that will be refused (the case is not claimed) is not sent to the service either.
        user_id = case.user_id if case is not None and case.status == "claimed" else None
        user = await session.get(User, user_id) if user_id is not None else None
        target = cases.reply_language(case, user) if case is not None and user is not None else None
        await session.commit()  # the service is asked without holding a database connection
        if self.translator is None or target is None or target == translations.STAFF_LANGUAGE:
            return None
        if not text.strip():
            return None
        done = await self.translator.translate(
            text.strip(), source=translations.STAFF_LANGUAGE, target=target
        )
        name = translations.engine_language_name(target, language_name(target))
        return translations.reply_translation(done, name)


def existing_case_id(case_id: int) -> int:
    """`case_id`, or 404 when no case can have it."""
    if not 1 <= case_id <= MAX_ID:
        raise HTTPException(404, "Diesen Fall gibt es nicht.")
    return case_id


ACTIONS = ("claim", "release", "reply", "phrase", "note", "close")
SLOT_PREFIX = "slot_"  # the phrasebook form's slot fields: slot_<name>


def form_text(form: FormData, name: str) -> str:
    """A form field as text the database can store: PostgreSQL refuses a NUL (a 500 before)."""
    return storable(str(form.get(name) or ""))


def typed_slots(fields: Mapping[str, Any]) -> dict[str, str]:
    """The slot values in a form or query: slot_<name> -> value, as text the database can store."""
    return {
        key.removeprefix(SLOT_PREFIX): storable(str(value))
        for key, value in fields.items()
        if key.startswith(SLOT_PREFIX)
    }


async def perform(
    session: AsyncSession,
    account: StaffAccount,
    case_id: int,
    action: str,
    form: FormData,
    content: ContentBase,
    machine: translations.ReplyTranslation | None = None,
) -> None:
    text = form_text(form, "text")
    if action == "claim":
        if not await cases.claim_case(session, case_id, account):
            found = await cases.triage(session, case_id)
            if found is None:
                raise HTTPException(404, "Diesen Fall gibt es nicht.")
            if found.case.status == "claimed":
                raise CaseError(
                    f"Der Fall ist nicht mehr offen: {found.claimed_by or 'jemand'} hat ihn übernommen."
                )
            raise CaseError("Der Fall ist nicht mehr offen.")
    elif action == "release":
        await cases.release_case(session, case_id, account)
    elif action == "reply":
        if machine is None:
            await cases.reply(session, case_id, account, text)
        else:
            await cases.reply(
                session, case_id, account, text, translated=machine.text, staff_note=machine.staff_note
            )
    elif action == "phrase":
        phrase_id = form_text(form, "phrase")
        await cases.reply_with_phrase(session, content, case_id, account, phrase_id, typed_slots(form))
    elif action == "note":
        await cases.add_note(session, case_id, account, text)
    elif action == "close":
        await cases.close_case(session, case_id, account, form_text(form, "outcome"))
    else:  # pragma: no cover - the routes are made from ACTIONS
        raise ValueError(action)


def staff_router(services: Services) -> APIRouter:
    """The console's routes; `create_web_app` includes them."""
    console = Console(services)
    database = services.database
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    @router.get("/static/{name}")
    async def static(name: str) -> Response:
        if name not in STATIC_FILES:
            raise HTTPException(404)
        body = resources.files("bot.handoff").joinpath("static", name).read_bytes()
        return Response(body, media_type=STATIC_FILES[name], headers={"Cache-Control": "max-age=300"})

    @router.get("/login")
    async def login_form(request: Request) -> Response:
        return console.login_page(request)

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        if not console.login_form_valid(request, str(form.get("csrf") or "")):
            return console.login_page(
                request, "Das Formular war abgelaufen. Bitte noch einmal anmelden.", 403
            )
        username, password = form_text(form, "username"), str(form.get("password") or "")
        client = request.client.host if request.client else "unknown"
        result = await staff.authenticate(database, username[:64], password[:1024], client=client)
        if result.retry_after:
            message = (
                f"Zu viele Anmeldeversuche. Bitte in {result.retry_after} Sekunden noch einmal versuchen."
            )
            refused = console.login_page(request, message, 429)
            refused.headers["Retry-After"] = str(result.retry_after)
            return refused
        if result.account is None:
            return console.login_page(request, "Benutzername oder Passwort ist falsch.", 401)
        response = console.redirect("")
        console.start_session(request, response, result.account)
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        async with database.session() as session, session.begin():
            who = await console.login_of(request, session)
            await staff.end_sessions(session, who.account)
        response = console.redirect("/login")
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    @router.get("")
    async def queue_page(request: Request) -> Response:
        async with database.session() as session:
            who = await console.login_of(request, session)
            return console.render("queue.html", **await console.queue_context(session, who, request))

    @router.get("/queue")
    async def queue_rows(request: Request) -> Response:
        async with database.session() as session:
            who = await console.login_of(request, session)
            return console.render("_queue_rows.html", **await console.queue_context(session, who, request))

    @router.get("/cases/{case_id}")
    async def case_page(request: Request, case_id: int, before: str = "") -> Response:
        async with database.session() as session:
            who = await console.login_of(request, session)
            return console.render("case.html", **await console.case_context(session, who, case_id, before))

    @router.get("/cases/{case_id}/live")
    async def case_live(request: Request, case_id: int, before: str = "") -> Response:
        async with database.session() as session:
            who = await console.login_of(request, session)
            return console.render(
                "_case_live.html", **await console.case_context(session, who, case_id, before)
            )

    @router.get("/cases/{case_id}/canned")
    async def canned(request: Request, case_id: int, topic: str = "") -> Response:
        async with database.session() as session:
            await console.login_of(request, session)
            found = await cases.triage(session, existing_case_id(case_id))
        if found is None:
            raise HTTPException(404, "Diesen Fall gibt es nicht.")
        try:
            text = cases.canned_answer(console.content, topic, found.case)
        except CaseError as error:
            return JSONResponse({"error": str(error)}, status_code=404, headers=SECURITY_HEADERS)
        return JSONResponse({"text": text}, headers=SECURITY_HEADERS)

    @router.get("/cases/{case_id}/phrase")
    async def phrase_preview(request: Request, case_id: int, phrase: str = "") -> Response:
        """A phrase with the slots typed so far, in German and in the user's language."""
        async with database.session() as session:
            await console.login_of(request, session)
            # Only the case's language: the preview is asked for as staff type.
            language = await cases.language_of(session, existing_case_id(case_id))
        if language is None:
            raise HTTPException(404, "Diesen Fall gibt es nicht.")
        try:
            pair = cases.phrase_pair(
                console.content, phrase, typed_slots(request.query_params), language, cases.now_local()
            )
        except CaseError as error:
            return JSONResponse({"error": str(error)}, headers=SECURITY_HEADERS)
        return JSONResponse(
            {
                "german": readable(pair.german.text),
                "for_user": readable(pair.for_user.text),
                "language": pair.for_user.language,
                "language_name": language_name(pair.for_user.language),
                "fallback": pair.for_user.language != language,
            },
            headers=SECURITY_HEADERS,
        )

    async def act(request: Request, case_id: int, action: str) -> Response:
        """One POSTed action on a case, in one unit of work; errors are shown on the case page."""
        async with database.session() as session:
            who = await console.login_of(request, session)
            form = await request.form()
            text = form_text(form, "text")
            machine = None
            if action == "reply" and form.get("translate") and console.translator is not None:
                machine = await console.translate_reply(session, existing_case_id(case_id), text)
            try:
                await perform(
                    session, who.account, existing_case_id(case_id), action, form, console.content, machine
                )
                await session.commit()
            except CaseError as problem:
                await session.rollback()
                context = await console.case_context(session, who, case_id, error=str(problem), draft=text)
                return console.render("case.html", 409, **context)
        return console.redirect(f"/cases/{case_id}")

    def action_endpoint(action: str) -> Callable[[Request, int], Awaitable[Response]]:
        async def endpoint(request: Request, case_id: int) -> Response:
            return await act(request, case_id, action)

        return endpoint

    for action in ACTIONS:
        router.add_api_route(
            f"/cases/{{case_id}}/{action}", action_endpoint(action), methods=["POST"], name=f"case_{action}"
        )

    @router.get("/audit")
    async def audit_page(request: Request) -> Response:
        async with database.session() as session:
            who = await console.login_of(request, session)
            if not who.is_admin:
                raise HTTPException(403, "Nur für Administratorinnen und Administratoren.")
            found = await staff.audit_log(session, page=page_number(request.query_params.get("page", "")))
            return console.render(
                "audit.html",
                **console.common(who),
                audit=found,
                page_link=lambda page: f"{PREFIX}/audit?page={page}",
                retention_days=services.settings.audit_retention_days,
            )

    @router.get("/problems")
    async def problems_page(request: Request) -> Response:
        async with database.session() as session:
            who = await console.login_of(request, session)
        if not who.is_editor:
            raise HTTPException(403, "Nur für die Redaktion.")
        return console.render("problems.html", **console.common(who), problems=services.content.problems)

    return router
