"""What the bot says, in the user's language: pure functions of what was decided.

Nothing here touches the database, so `wegweiser ask` shows exactly the text a user would read.
Every UI string goes through the catalogs (`t.gettext`); editorial text comes from content/.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from bot.content.model import LANGUAGES, ContentBase, Region, Topic
from bot.content.render import render_answer, render_short
from bot.conversation.messages import Button, Reply
from bot.i18n import N_, RIGHT_TO_LEFT_MARK, Texts, texts
from bot.office_hours import WeeklyHours
from bot.understanding.policy import EMERGENCY_TOPIC, Decision

TOPICS_PER_PAGE = 6
MORE = "more"  # the button action "more:<topic id>" shows the whole answer

CATEGORY_TITLES = {
    # Translators: a menu category: arriving, registering, residence papers
    "arrival": N_("Arrival and papers"),
    # Translators: a menu category: jobs, Jobcenter, money
    "work": N_("Work and money"),
    # Translators: a menu category: German courses and practice
    "language": N_("Learning German"),
    # Translators: a menu category: counselling services
    "counselling": N_("Counselling"),
    # Translators: a menu category: school, Kita, children
    "family": N_("Family and children"),
    # Translators: a menu category: doctors, emergencies, protection from violence
    "health": N_("Health and safety"),
    # Translators: a menu category: flats, housing benefit, rubbish, buses, bank, letters
    "housing": N_("Housing and everyday life"),
    # Translators: a menu category: apprenticeship, university, school certificates
    "education": N_("Training and studies"),
    # Translators: a menu category: volunteering, having a say, religion, library and sport
    "participation": N_("Taking part and free time"),
}

# (command, description) for the channel's command menu, in this order.
COMMANDS = (
    ("start", N_("Start again: language and place")),
    ("menu", N_("Browse topics")),
    ("language", N_("Change the language")),
    ("place", N_("Change where you live")),
    ("human", N_("Talk to a person")),
    ("privacy", N_("What is stored about you")),
    ("delete", N_("Delete everything stored about you")),
    ("help", N_("How this bot works")),
)


def command_menu(language: str) -> list[tuple[str, str]]:
    t = texts(language)
    return [(command, t.gettext(description)) for command, description in COMMANDS]


def reply(t: Texts, text: str, buttons: Sequence[Sequence[Button]] = (), kind: str = "text") -> Reply:
    if t.rtl and not text.startswith(RIGHT_TO_LEFT_MARK):
        text = RIGHT_TO_LEFT_MARK + text
    return Reply(
        text=text,
        buttons=tuple(tuple(row) for row in buttons if row),
        language=t.language,
        rtl=t.rtl,
        kind=kind,
    )


def topic_title(topic: Topic, t: Texts) -> str:
    return topic.best_translation(t.language).title


def rows(buttons: Sequence[Button], per_row: int) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


# --- language and place -------------------------------------------------------------------------


def language_picker(hint: str | None) -> Reply:
    """Native names from Babel, the hinted language first; the prompt in that language."""
    first = hint if hint in LANGUAGES else "en"
    ordered = [first, *(code for code in LANGUAGES if code != first)]
    t = texts(first)
    buttons = [Button(texts(code).native_name(), f"lang:{code}") for code in ordered]
    # Translators: shown above the language buttons
    return reply(t, t.gettext("Which language do you want to use?"), rows(buttons, 2), kind="language_picker")


def welcome(t: Texts, retention_days: int) -> Reply:
    text = (
        t.gettext(
            "Welcome! I answer questions about arriving and living in Stadt and Landkreis Osnabrück: "
            "offices, addresses, opening hours, counselling. If I cannot help, I put you in touch with a person."
        )
        + "\n\n"
        + privacy_notice_text(t, retention_days)
    )
    return reply(t, text, kind="welcome")


def privacy_notice_text(t: Texts, retention_days: int) -> str:
    return (
        "🔒 "
        + t.gettext(
            "Stored about you: your language, where you live, and this conversation (your questions and my "
            "answers, so that staff can help you and we can improve the answers)."
        )
        + " "
        + t.ngettext(
            "Messages are deleted after {days} day.",
            "Messages are deleted after {days} days.",
            retention_days,
        ).format(days=retention_days)
        + " "
        + t.gettext("Send /delete to delete everything at once.")
    )


def place_question(t: Texts, content: ContentBase, topic: Topic | None = None) -> Reply:
    """Stadt Osnabrück first, then the Landkreis municipalities; free text works too."""
    buttons = [Button(region.name, f"place:{region.id}") for region in content.regions]
    if topic is not None:
        text = t.gettext("The answer depends on where you live. Where do you live?")
    else:
        text = t.gettext("Where do you live?")
    text += "\n" + t.gettext("Choose below or write the name of your town.")
    return reply(t, text, rows(buttons, 2), kind="place_question")


def place_saved(t: Texts, region: Region) -> Reply:
    return reply(
        t, t.gettext("Saved: you live in {place}.").format(place=escape(region.name)), kind="place_saved"
    )


def place_unknown(t: Texts, content: ContentBase) -> Reply:
    question = place_question(t, content)
    text = t.gettext("I do not know that place in Stadt or Landkreis Osnabrück.") + "\n" + question.text
    return reply(t, text, question.buttons, kind="place_unknown")


def language_saved(t: Texts) -> Reply:
    return reply(t, t.gettext("I will answer in {language} from now on.").format(language=t.native_name()))


def offer_language(detected: str) -> Reply:
    """Asked in the language the user wrote in."""
    t = texts(detected)
    text = t.gettext("You wrote in {language}. Shall I answer in {language}?").format(
        language=t.native_name()
    )
    return reply(t, text, [[Button(t.native_name(), f"lang:{detected}")]], kind="language_offer")


# --- answers ------------------------------------------------------------------------------------


def _legal_note(t: Texts, topic: Topic) -> str:
    if topic.care != "legal":
        return ""
    return "\n\n⚖️ " + t.gettext(
        "This is general information, not legal advice. For your own case, talk to a counselling service "
        "or to a person here."
    )


def more_button(t: Texts, topic: Topic) -> Button:
    # Translators: button under a short answer; it shows the whole answer with every place and source
    return Button("➕ " + t.gettext("More details"), f"{MORE}:{topic.id}")


def answer(
    content: ContentBase,
    topic: Topic,
    t: Texts,
    region: Region | None,
    now: datetime,
    alternatives: Sequence[str] = (),
) -> list[Reply]:
    """The short answer with the place for the user's region; the details behind "More". When the
    reading was likely, not sure, the topics the message may be about instead follow in place of the
    related ones, under a question of their own."""
    card = render_short(content, topic, t, region, now) + _legal_note(t, topic)
    buttons = [[more_button(t, topic)]]
    instead = topic_buttons(content, [a for a in alternatives if a != topic.id], t)
    if not instead:
        buttons += topic_buttons(content, [r for r in topic.related if r in content.topics][:3], t)
    buttons += _answer_end_buttons(t, topic)
    replies = [reply(t, card, buttons, kind="answer")]
    if instead:
        # Translators: under an answer the bot was not sure of, before buttons with other topics
        replies.append(
            reply(t, t.gettext("Not what you asked? Maybe one of these:"), instead, kind="clarify")
        )
    return replies


def _answer_end_buttons(t: Texts, topic: Topic) -> list[list[Button]]:
    return [
        [
            # Translators: feedback button under an answer
            Button("👍 " + t.gettext("Helpful"), f"fb:1:{topic.id}"),
            # Translators: feedback button under an answer
            Button("👎 " + t.gettext("Not helpful"), f"fb:0:{topic.id}"),
        ],
        [Button("🙋 " + t.gettext("Talk to a person"), "human")],
    ]


def more(content: ContentBase, topic: Topic, t: Texts, region: Region | None, now: datetime) -> Reply:
    """What "More" shows: the whole answer, the regional note, every place, the sources."""
    card = render_answer(content, topic, t, region, now) + _legal_note(t, topic)
    return reply(t, card, _answer_end_buttons(t, topic), kind="more")


def more_behind(
    shown: Sequence[Reply], content: ContentBase, t: Texts, region: Region | None, now: datetime
) -> list[Reply]:
    """What the "More" buttons among these replies show, in order (for `wegweiser ask`)."""
    found = []
    for shown_reply in shown:
        for row in shown_reply.buttons:
            for button in row:
                name, _, topic_id = button.action.partition(":")
                if name == MORE and topic_id in content.topics:
                    found.append(more(content, content.topics[topic_id], t, region, now))
    return found


def emergency(
    content: ContentBase,
    topic_id: str | None,
    t: Texts,
    region: Region | None,
    now: datetime,
    alternatives: Sequence[str] = (),
) -> list[Reply]:
    """The emergency numbers first (a message that fits one phone screen), then (for violence) the
    protection topic with its title, each with its details behind "More", then the topics the message may be about
    instead (`alternatives`, when the reading was unsure)."""
    replies = []
    shown = [EMERGENCY_TOPIC] if EMERGENCY_TOPIC in content.topics else []
    if topic_id and topic_id in content.topics and topic_id not in shown:
        shown.append(topic_id)
    for topic_id_shown in shown:
        topic = content.topics[topic_id_shown]
        card = render_short(content, topic, t, region, now, title=topic.id != EMERGENCY_TOPIC)
        replies.append(reply(t, card, [[more_button(t, topic)]], kind="emergency"))
    if not replies:  # a content base without the emergency topic still gives the numbers
        replies.append(reply(t, "🚨 112 · 110", kind="emergency"))
    if buttons := topic_buttons(content, alternatives, t):
        # Translators: under the emergency numbers, when the bot is not sure the message is urgent
        text = t.gettext("Not an emergency? Did you mean one of these?")
        replies.append(reply(t, text, buttons, kind="clarify"))
    return replies


def topic_buttons(content: ContentBase, topic_ids: Sequence[str], t: Texts) -> list[list[Button]]:
    """One button per known topic, a row each, in the given order."""
    return [
        [Button(topic_title(content.topics[topic_id], t), f"topic:{topic_id}")]
        for topic_id in topic_ids
        if topic_id in content.topics
    ]


def clarify(content: ContentBase, alternatives: Sequence[str], t: Texts) -> Reply:
    buttons = topic_buttons(content, alternatives, t)
    # Translators: button under "Did you mean …?" when none of the suggestions fits
    buttons.append([Button(t.gettext("None of these – talk to a person"), "human")])
    return reply(t, t.gettext("Did you mean one of these?"), buttons, kind="clarify")


def fallback(content: ContentBase, alternatives: Sequence[str], t: Texts) -> Reply:
    text = t.gettext(
        "I am sorry, I do not know the answer to that. I can put you in touch with a person, "
        "or you can browse the topics."
    )
    buttons = topic_buttons(content, alternatives[:2], t)
    buttons.append(
        [Button("🙋 " + t.gettext("Talk to a person"), "human"), Button("📚 " + t.gettext("Topics"), "menu")]
    )
    return reply(t, text, buttons, kind="fallback")


def smalltalk(intent: str, t: Texts) -> Reply:
    if intent == "greet":
        text = t.gettext("Hello! Ask me your question, or send /menu to browse the topics.")
    elif intent == "goodbye":
        text = t.gettext("Goodbye, and all the best! Write again any time.")
    elif intent == "thanks":
        text = t.gettext("You are welcome! Ask me anything else any time.")
    else:
        return help_text(t)
    return reply(t, text, kind="smalltalk")


def help_text(t: Texts) -> Reply:
    lines = [
        t.gettext(
            "Write your question in your own words, for example: “Where do I register my address?” "
            "I answer with the right office for where you live, its opening hours and who helps."
        ),
        "",
    ]
    lines += [f"/{command} – {t.gettext(description)}" for command, description in COMMANDS]
    return reply(t, "\n".join(lines), kind="help")


# --- menu ---------------------------------------------------------------------------------------


def categories(content: ContentBase, t: Texts) -> Reply:
    present = list(dict.fromkeys(entry.category for entry in content.catalogue if entry.category))
    buttons = [
        Button(t.gettext(CATEGORY_TITLES[name]) if name in CATEGORY_TITLES else name, f"cat:{name}:0")
        for name in present
    ]
    return reply(t, t.gettext("Choose a topic area:"), rows(buttons, 2), kind="menu")


def category_page(content: ContentBase, category: str, page: int, t: Texts) -> Reply:
    topics = [
        content.topics[e.id] for e in content.catalogue if e.category == category and e.id in content.topics
    ]
    pages = max(1, -(-len(topics) // TOPICS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = topics[page * TOPICS_PER_PAGE : (page + 1) * TOPICS_PER_PAGE]
    buttons = [[Button(topic_title(topic, t), f"topic:{topic.id}")] for topic in shown]
    navigation = []
    if page > 0:
        navigation.append(Button("◀ " + t.gettext("Back"), f"cat:{category}:{page - 1}"))
    navigation.append(Button("☰ " + t.gettext("All areas"), "menu"))
    if page < pages - 1:
        navigation.append(Button(t.gettext("More") + " ▶", f"cat:{category}:{page + 1}"))
    buttons.append(navigation)
    title = t.gettext(CATEGORY_TITLES[category]) if category in CATEGORY_TITLES else category
    text = f"<b>{escape(title)}</b> · " + t.gettext("page {page} of {pages}").format(
        page=page + 1, pages=pages
    )
    return reply(t, text, buttons, kind="menu")


# --- a person -----------------------------------------------------------------------------------


def handoff_opened(t: Texts, hours: WeeklyHours, now: datetime, *, urgent: bool = False) -> Reply:
    """A person will answer; when, from the staff office hours."""
    if urgent:
        text = t.gettext("I have also told our team. A person will contact you here as soon as possible.")
    else:
        text = t.gettext(
            "I am passing your question to our team. A person will answer you here in this chat."
        )
    text += " " + staff_availability(t, hours, now)
    text += "\n" + t.gettext("Until then, please write here anything they should know.")
    return reply(t, text, kind="handoff")


def staff_availability(t: Texts, hours: WeeklyHours, now: datetime) -> str:
    if hours.is_open(now):
        return t.gettext("The team is working now; usually someone answers within a few hours.")
    following = hours.next_opening(now)
    if following is None:
        return t.gettext("The team will answer as soon as possible.")
    return t.gettext("The team is not working right now. They will be back {moment}.").format(
        moment=t.isolate(t.date(following.date()) + ", " + t.time(following.time()))
    )


def forwarded(t: Texts, hours: WeeklyHours, now: datetime, *, answered: bool = False) -> Reply:
    """`answered`: the bot answered the message too; the person learns the team still has it."""
    if answered:
        # Translators: after the bot's own answer, while a person of the team has the request
        text = "✓ " + t.gettext(
            "Your request stays open: the team sees this message too and will answer here."
        )
    else:
        text = "✓ " + t.gettext("Passed on to the team.")
    if not hours.is_open(now):
        text += " " + staff_availability(t, hours, now)
    return reply(t, text, kind="forwarded")


def machine_translated(t: Texts, translated_html: str, event_id: int) -> Reply:
    """A staff reply a machine translated from German into the user's language, marked as such,
    with its German original a button away (`original`)."""
    # Translators: under an answer from our team that a machine translated from German into this language
    mark = t.gettext("Machine translation from German. It may contain mistakes.")
    # Translators: a button under a machine-translated answer from our team; shows the German text it was made from
    show = t.gettext("Show the German original")
    return reply(
        t,
        f"{translated_html}\n\n<i>{escape(mark)}</i>",
        [[Button(show, f"original:{event_id}")]],
        kind="staff",
    )


def ask_for_person(t: Texts) -> Reply:
    return reply(
        t,
        t.gettext("I am sorry this did not help. Do you want to talk to a person?"),
        [[Button(t.gettext("Yes, please"), "human"), Button(t.gettext("No, thanks"), "noop")]],
        kind="offer_person",
    )


def no_person_wanted(t: Texts) -> Reply:
    """After "No, thanks" to "Do you want to talk to a person?"."""
    return reply(
        t,
        t.gettext("All right. Ask me something else any time, or send /menu to browse the topics."),
        kind="smalltalk",
    )


def feedback_thanks(t: Texts) -> Reply:
    return reply(t, t.gettext("Thank you for your feedback!"), kind="feedback")


def rating_thanks(t: Texts) -> Reply:
    return reply(t, t.gettext("Thank you! Your rating helps us improve."), kind="feedback")


# --- privacy ------------------------------------------------------------------------------------


def privacy(t: Texts, retention_days: int) -> Reply:
    return reply(t, privacy_notice_text(t, retention_days), kind="privacy")


def delete_question(t: Texts) -> Reply:
    return reply(
        t,
        t.gettext(
            "Do you want me to delete everything stored about you: your settings, this conversation and any "
            "case with our team? This cannot be undone."
        ),
        [[Button(t.gettext("Yes, delete everything"), "delete:yes"), Button(t.gettext("No"), "delete:no")]],
        kind="delete_question",
    )


def deleted(t: Texts) -> Reply:
    return reply(
        t,
        t.gettext(
            "Done: everything stored about you has been deleted. If you write again, I start from the beginning."
        ),
        kind="deleted",
    )


def kept(t: Texts) -> Reply:
    return reply(t, t.gettext("Nothing was deleted."), kind="kept")


# --- what the bot cannot read -------------------------------------------------------------------

UNSUPPORTED_TEXTS = {
    "voice": N_("I cannot listen to voice messages yet. Please write your question as text."),
    "audio": N_("I cannot listen to voice messages yet. Please write your question as text."),
    "video": N_("I cannot watch videos. Please write your question as text."),
    "photo": N_(
        "I cannot read pictures or documents. Please do not send personal documents here; write your question as text."
    ),
    "document": N_(
        "I cannot read pictures or documents. Please do not send personal documents here; write your question as text."
    ),
    "sticker": N_("Nice sticker! Please write your question as text."),
    "location": N_("I do not use locations. Please write the name of your town instead, or send /place."),
    "contact": N_("I cannot use contacts. Please write your question as text."),
    "edited": N_(
        "I only read new messages, not edited ones. Please send your question again as a new message."
    ),
    "other": N_("I can only read text messages. Please write your question as text."),
}


def unsupported(what: str, t: Texts) -> Reply:
    message = UNSUPPORTED_TEXTS.get(what, UNSUPPORTED_TEXTS["other"])
    return reply(t, t.gettext(message), kind="unsupported")


def too_long(t: Texts, limit: int) -> Reply:
    return reply(
        t,
        t.gettext(
            "Your message is too long for me (more than {limit} characters). Please ask in a few short sentences."
        ).format(limit=limit),
        kind="too_long",
    )


# --- limits -------------------------------------------------------------------------------------


def _with_emergency_numbers(t: Texts, text: str) -> str:
    """A refusal never withholds the emergency numbers (they are static: nothing to exhaust)."""
    # Translators: added under every "too many messages" notice
    return (
        text + "\n\n🚨 " + t.gettext("In an emergency, call 112 (ambulance, fire brigade) or 110 (police).")
    )


def too_fast(t: Texts, seconds: int) -> Reply:
    text = t.ngettext(
        "You are sending messages faster than I can take them. Please wait {seconds} second, then send again.",
        "You are sending messages faster than I can take them. Please wait {seconds} seconds, then send again.",
        seconds,
    ).format(seconds=seconds)
    return reply(t, _with_emergency_numbers(t, text), kind="limit")


def daily_limit(t: Texts) -> Reply:
    text = t.gettext(
        "You have sent very many messages today, so I am not storing or answering more of them until "
        "tomorrow. Commands such as /delete still work."
    )
    return reply(t, _with_emergency_numbers(t, text), kind="limit")


def case_limit(t: Texts) -> Reply:
    text = t.gettext(
        "Our team cannot take more requests from your connection right now. Please try again in an hour."
    )
    return reply(t, _with_emergency_numbers(t, text), kind="limit")


def empty(t: Texts) -> Reply:
    return reply(t, t.gettext("Please write your question as text."), kind="empty")


def stale_button(t: Texts) -> Reply:
    return reply(
        t,
        t.gettext(
            "This button no longer works. Send /menu to browse the topics, or just write your question."
        ),
        kind="stale_button",
    )


def for_decision(
    decision: Decision,
    content: ContentBase,
    t: Texts,
    region: Region | None,
    now: datetime,
    hours: WeeklyHours,
) -> list[Reply]:
    """The replies to a decision, as the user reads them (side effects are the core's business)."""
    topic = content.topics.get(decision.topic) if decision.topic else None
    if decision.action == "emergency":
        return [
            *emergency(content, decision.topic, t, region, now, decision.alternatives),
            handoff_opened(t, hours, now, urgent=True),
        ]
    if decision.action == "answer" and topic is not None:
        return answer(content, topic, t, region, now, decision.alternatives)
    if decision.action == "ask_place":
        if decision.saves_named_place and region is not None:
            offered = [clarify(content, decision.alternatives, t)] if decision.alternatives else []
            return [place_saved(t, region), *offered]
        return [place_question(t, content, topic)]
    if decision.action == "clarify":
        return [clarify(content, decision.alternatives, t)]
    if decision.action == "handoff":
        return [handoff_opened(t, hours, now)]
    if decision.action == "smalltalk":
        if decision.intent == "change_language":
            return [language_picker(t.language)]
        return [smalltalk(decision.intent, t)]
    return [fallback(content, decision.alternatives, t)]


def original(t: Texts, german: str) -> Reply:
    """A team message's German original, to show at a counter. It starts with the German word, so
    it reads left to right in any chat; the line after it says in the user's language what it is."""
    # Translators: under the heading "Deutsch", above the German original of a message from our team
    note = t.gettext("The same message in German, for example to show at an office:")
    text = f"<b>Deutsch</b> · {escape(note)}\n\n{escape(german, quote=False)}"
    return Reply(text=text, language=t.language, rtl=False, kind="original")
