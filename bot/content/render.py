"""An answer card in the user's language: answer, the place for their region, source line.

Output is Telegram's HTML subset; the web chat shows the same markup.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape

from bot.content.model import ContentBase, Dated, OpeningHours, Phone, Place, Region, Topic
from bot.i18n import N_, RIGHT_TO_LEFT_MARK, Texts

PHONE_LABELS = {
    # Translators: label of a phone number on a place card
    "general": N_("phone"),
    # Translators: label of a phone number used to book appointments
    "appointments": N_("appointments"),
    # Translators: label of the phone number for naturalisation (Einbürgerung)
    "naturalisation": N_("naturalisation"),
    # Translators: label of a hotline phone number
    "hotline": N_("hotline"),
    # Translators: label of a phone number for counselling
    "counselling": N_("counselling"),
    # Translators: label of an emergency phone number
    "emergency": N_("emergency"),
}


def _dated(t: Texts, dated: Dated) -> str:
    if dated.as_of and dated.check:
        return " " + t.gettext("(as of {date} – please check)").format(date=t.partial_date(dated.as_of))
    if dated.check:
        return " " + t.gettext("(please check)")
    return ""


def _hours_line(t: Texts, hours: OpeningHours, url: str | None, now: datetime) -> str:
    if hours.closed_on(now.date()) and hours.closed_until:
        line = t.gettext("Temporarily closed until {date}.").format(date=t.date(hours.closed_until))
    elif hours.appointment_only:
        line = t.gettext("Appointment only.")
        if url:
            line += " " + '<a href="{url}">{label}</a>'.format(
                url=escape(url), label=t.gettext("Book an appointment")
            )
    elif hours.weekly.always:
        line = t.gettext("Open around the clock, every day.")
    elif hours.weekly.is_open(now):
        line = t.gettext("Open now.")
    else:
        following = hours.weekly.next_opening(now)
        line = t.gettext("Closed now.")
        if following:
            line += " " + t.gettext("Opens {moment}.").format(moment=t.isolate(t.moment(following)))
    return "🕒 " + line + _dated(t, hours.dated)


# Arabic script has its own comma and semicolon (U+060C, U+061B); a Latin ";" looks wrong there.
_SEPARATORS = {"ar": ("، ", "؛ "), "fa": ("، ", "؛ ")}
_LATIN_SEPARATORS = (", ", "; ")


def _weekly_summary(t: Texts, phone: Phone) -> str:
    if phone.hours is None or phone.hours.empty:
        return ""
    if phone.hours.always:
        return " · " + t.gettext("24/7")
    comma, semicolon = _SEPARATORS.get(t.language, _LATIN_SEPARATORS)
    parts = []
    for index, slots in enumerate(phone.hours.days):
        if slots:
            spans = comma.join(f"{t.time(s.start)}–{t.time(s.end)}" for s in slots)
            parts.append(f"{t.weekday(index, 'abbreviated')} {t.isolate(spans)}")
    return " · " + semicolon.join(parts)


def _opening_line(t: Texts, place: Place, now: datetime) -> str | None:
    """Whether the place is open (with its booking link), else where to book, else nothing."""
    if place.hours:
        return _hours_line(t, place.hours, place.appointment_url, now)
    if place.appointment_url:
        return '🗓 <a href="{url}">{label}</a>'.format(
            url=escape(place.appointment_url), label=t.gettext("Book an appointment")
        )
    return None


def render_place(t: Texts, place: Place, now: datetime) -> str:
    lines = [f"📍 <b>{escape(place.name)}</b>"]
    if place.address:
        lines.append(t.ltr(escape(place.address.text)) + _dated(t, place.address.dated))
    if (opening := _opening_line(t, place, now)) is not None:
        lines.append(opening)
    lines += [_phone_line(t, phone) for phone in place.phones]
    if place.email:
        lines.append(f"✉ {t.ltr(escape(place.email))}")
    if place.web:
        lines.append('🔗 <a href="{url}">{url}</a>'.format(url=escape(place.web)))
    if place.barrier_free:
        lines.append("♿ " + t.gettext("Barrier-free access."))
    return "\n".join(lines)


def _phone_line(t: Texts, phone: Phone) -> str:
    label = t.gettext(PHONE_LABELS.get(phone.label, "phone"))
    number = f'<a href="{escape(phone.tel_uri)}">{escape(phone.number)}</a>'
    return f"☎ {label}: {t.ltr(number)}{_weekly_summary(t, phone)}{_dated(t, phone.dated)}"


def render_compact_place(t: Texts, place: Place, now: datetime) -> str:
    """What a phone user needs first: the name, whether it is open (or how to book), one phone."""
    lines = [f"📍 <b>{escape(place.name)}</b>"]
    if (opening := _opening_line(t, place, now)) is not None:
        lines.append(opening)
    if place.phones:
        lines.append(_phone_line(t, place.phones[0]))
    if len(lines) == 1 and place.web:  # neither hours nor a phone known: where to read more
        lines.append('🔗 <a href="{url}">{url}</a>'.format(url=escape(place.web)))
    return "\n".join(lines)


def _gives_number(text: str, number: str) -> bool:
    """Whether `text` already gives this phone number, however it groups the digits."""
    digits = [ch for ch in number if ch.isdigit()]
    return re.search(r"(?<!\d)" + r"[\s/-]?".join(digits) + r"(?!\d)", text) is not None


def card_place(content: ContentBase, topic: Topic, text: str, region: Region | None) -> Place | None:
    """The first of the topic's places for the region that adds something: a place whose every
    phone number the short answer already gives (the emergency numbers) would only repeat it."""
    for place in content.places_for(topic, region):
        if not place.phones or not all(_gives_number(text, phone.number) for phone in place.phones):
            return place
    return None


def _fallback_notice(t: Texts, language: str) -> str | None:
    if language == t.language:
        return None
    fallback_name = t.gettext("English") if language == "en" else t.gettext("German")
    return (
        "<i>"
        + t.gettext("This answer is not yet available in your language; here it is in {language}.").format(
            language=fallback_name
        )
        + "</i>"
    )


_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
_GROUPED_NUMBER = re.compile(r"\+?\d+(?:[ /-]\d+)+")
NO_BREAK_SPACE = "\u00a0"


def _numbers_left_to_right(t: Texts, html: str) -> str:
    """In right-to-left text a number written in groups ("0800 111 0 111") would be shown with its
    groups in reverse order, and broken over two lines mixed with the words around it: each is kept
    left to right and in one piece (tags and their links untouched)."""
    if not t.rtl:
        return html

    def whole(number: re.Match[str]) -> str:
        return t.ltr(number.group(0).replace(" ", NO_BREAK_SPACE))

    parts = _TAG_OR_TEXT.split(html)
    return "".join(part if part.startswith("<") else _GROUPED_NUMBER.sub(whole, part) for part in parts)


def _right_to_left(t: Texts, card: str) -> str:
    if t.rtl:
        # A line that starts with a Latin name or a number would otherwise be laid out left to right.
        return "\n".join(RIGHT_TO_LEFT_MARK + line for line in card.split("\n"))
    return card


def _municipality_line(t: Texts, topic: Topic, region: Region | None) -> str | None:
    """For a topic whose office depends on the place: the website of the user's own municipality in
    the Landkreis, where we know it (content/regions.yaml), so that its own Bürgerbüro is a tap away."""
    if region is None or region.area != "landkreis" or region.web is None or not topic.place_dependent:
        return None
    # Translators: a link to the website of the user's town or municipality, e.g. "Melle"
    label = t.gettext("Website of {municipality}").format(municipality=escape(region.name))
    return f'🏛 <a href="{escape(region.web)}">{label}</a>'


def render_short(
    content: ContentBase, topic: Topic, t: Texts, region: Region | None, now: datetime, *, title: bool = True
) -> str:
    """What a phone user reads first: the short answer and a compact card of the place for their
    region; the rest is behind "More" (`render_answer`). Urgent topics leave the title out, so that
    the emergency numbers their short answer starts with come first."""
    translation = topic.best_translation(t.language)
    parts = [notice] if (notice := _fallback_notice(t, translation.language)) else []
    short = translation.short or translation.answer
    shown = _numbers_left_to_right(t, short)
    parts.append(f"<b>{translation.title}</b>\n{shown}" if title else shown)
    if (place := card_place(content, topic, short, region)) is not None:
        parts.append(render_compact_place(t, place, now))
    if (municipality := _municipality_line(t, topic, region)) is not None:
        parts.append(municipality)
    return _right_to_left(t, "\n\n".join(parts))


def render_answer(content: ContentBase, topic: Topic, t: Texts, region: Region | None, now: datetime) -> str:
    """The whole card as the user reads it (behind "More")."""
    translation = topic.best_translation(t.language)
    parts = [notice] if (notice := _fallback_notice(t, translation.language)) else []
    parts.append(f"<b>{translation.title}</b>\n{_numbers_left_to_right(t, translation.answer)}")
    if region is not None and (note := translation.regional_note(region.area)):
        parts.append(_numbers_left_to_right(t, note))
    if (municipality := _municipality_line(t, topic, region)) is not None:
        parts.append(municipality)
    places = content.places_for(topic, region)
    if places:
        parts.append("\n\n".join(render_place(t, place, now) for place in places))
    if topic.check_since is not None:
        parts.append(
            "ℹ️ "
            + t.gettext("Some of this information dates from {date}. Please check it before you go.").format(
                date=t.partial_date(topic.check_since)
            )
        )
    source = topic.sources[0].url if topic.sources else None
    checked = t.gettext("Source · checked on {date}").format(date=t.date(topic.verified_on))
    parts.append(f'<a href="{escape(source)}">{checked}</a>' if source else checked)
    return _right_to_left(t, "\n\n".join(parts))
