"""Reading and checking the content base.

`check(directory)` returns the content (when it has no errors) and every problem found, each with
the file and line an editor has to open. `load(directory)` is the strict form the bot uses.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from bot.content import lines
from bot.content.lines import LineDict, LineList
from bot.content.model import (
    LANGUAGES,
    SLOT_KINDS,
    SOURCE_LANGUAGE,
    Address,
    CatalogueEntry,
    ContentBase,
    CrisisStatements,
    Dated,
    Municipality,
    OpeningHours,
    PartialDate,
    Phone,
    Phrase,
    PhraseTranslation,
    Place,
    Region,
    SafetyKeyword,
    SafetyKeywords,
    SlotKind,
    Source,
    StatementGroups,
    Topic,
    Translation,
    fold,
)
from bot.office_hours import WEEKDAYS, HoursError, WeeklyHours

ANSWER_LIMIT = 2000  # characters; the rendered card adds places and the source line, Telegram allows 4096
# Visible characters (tags not counted) of the short answer a phone user reads first: with the title
# and a compact place card it stays within one 390x844 phone screen in every language.
SHORT_LIMIT = 450
MIN_EXAMPLES = 12
REVIEW_AFTER = timedelta(days=365)


def due_for_review(verified_on: date, today: date) -> bool:
    """Facts last verified over 12 months ago are due for an editor's review."""
    return today - verified_on > REVIEW_AFTER


ALLOWED_TAGS = frozenset({"b", "strong", "i", "em", "u", "a", "code", "s"})
PHONE = re.compile(r"^\+?[0-9][0-9 /()-]{1,24}[0-9]$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
URL = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?([/?#]\S*)?$")
IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
PHONE_LABELS = frozenset({"general", "appointments", "naturalisation", "hotline", "counselling", "emergency"})
PLACE_KINDS = frozenset({"office", "counselling", "school", "language", "helpline", "other"})


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}: {prefix}{self.message}"


class ContentError(Exception):
    """The content base has errors; the bot keeps whatever it had before."""

    def __init__(self, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} content error(s); first: {errors[0] if errors else '-'}")
        self.problems = problems

    @property
    def for_operators(self) -> str:
        """The one line a command prints before it exits with code 2."""
        return f"the content has errors ({self}); run 'wegweiser content check'"


@dataclass
class _Reader:
    """Collects problems while turning YAML trees into model objects."""

    root: Path
    today: date
    problems: list[Problem] = field(default_factory=list)
    catalogue_lines: dict[str, int] = field(default_factory=dict)

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def error(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self.rel(path), line, message))

    def warn(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self.rel(path), line, message, "warning"))

    def read_mapping(self, path: Path, expected: str) -> LineDict | None:
        """The file's top-level mapping, or None with the problem reported."""
        try:
            data = lines.load(path, self.root)
        except lines.FileProblem as error:
            self.error(path, error.line, str(error))
            return None
        if not isinstance(data, LineDict):
            self.error(path, 1, f"{path.name} must be a mapping with {expected}")
            return None
        return data

    # -- small typed getters: each reports its own problem and returns None ------------------
    def text(self, path: Path, data: LineDict, key: str, *, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(path, data.line_of(key), f"'{key}' is missing")
            return None
        if not isinstance(value, str | int | float):
            self.error(path, data.line_of(key), f"'{key}' must be text")
            return None
        return str(value).strip()

    def mapping(self, path: Path, data: LineDict, key: str, *, required: bool = True) -> LineDict | None:
        value = data.get(key)
        if value is None:
            if required:
                self.error(path, data.line_of(key), f"'{key}' is missing")
            return None
        if not isinstance(value, LineDict):
            self.error(path, data.line_of(key), f"'{key}' must be a mapping")
            return None
        return value

    def sequence(self, path: Path, data: LineDict, key: str, *, required: bool = False) -> LineList:
        value = data.get(key)
        if value is None:
            if required:
                self.error(path, data.line_of(key), f"'{key}' is missing")
            return _empty_list(data.line_of(key))
        if not isinstance(value, LineList):
            self.error(path, data.line_of(key), f"'{key}' must be a list")
            return _empty_list(data.line_of(key))
        return value

    def texts(self, path: Path, data: LineDict, key: str) -> tuple[str, ...]:
        """An optional list of texts (spellings, statuses); an item that is no text is reported."""
        items = self.sequence(path, data, key)
        found = []
        for index, item in enumerate(items):
            if isinstance(item, str | int | float):
                found.append(str(item))
            else:
                self.error(path, items.line_of(index), f"'{key}' must be a list of texts")
        return tuple(found)

    def day(self, path: Path, data: LineDict, key: str, *, required: bool = True) -> date | None:
        raw = self.text(path, data, key, required=required)
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.error(path, data.line_of(key), f"'{key}' is not a date like 2026-11-21: {raw!r}")
            return None

    def partial_date(self, path: Path, data: LineDict, key: str) -> PartialDate | None:
        raw = self.text(path, data, key, required=False)
        if raw is None:
            return None
        try:
            return PartialDate.parse(raw)
        except ValueError as error:
            self.error(path, data.line_of(key), f"'{key}': {error}")
            return None

    def dated(self, path: Path, data: LineDict) -> Dated:
        check = data.get("check", False)
        if not isinstance(check, bool):
            self.error(path, data.line_of("check"), "'check' must be true or false")
            check = False
        return Dated(as_of=self.partial_date(path, data, "as_of"), check=check)

    def sources(self, path: Path, data: LineDict) -> tuple[Source, ...]:
        items = self.sequence(path, data, "sources")
        if not items:
            self.error(path, data.line_of("sources"), "no source: every fact needs 'sources' (url, seen)")
        found = []
        for index, item in enumerate(items):
            line = items.line_of(index)
            if not isinstance(item, LineDict):
                self.error(path, line, "a source must be a mapping with url and seen")
                continue
            url = self.text(path, item, "url")
            seen = self.day(path, item, "seen")
            if url and not URL.match(url):
                self.error(path, item.line_of("url"), f"malformed URL {url!r}")
            status = self.texts(path, item, "status")
            if url and seen:
                found.append(Source(url, seen, str(item.get("date", "n/d")), status))
        return tuple(found)

    def source_version(self, path: Path, data: LineDict, language: str, version: int) -> int | None:
        """A translation's `source_version`: the German version it was made from."""
        source_version = data.get("source_version")
        line = data.line_of("source_version")
        if not isinstance(source_version, int) or isinstance(source_version, bool) or source_version < 1:
            self.error(path, line, f"{language}: 'source_version' must be a whole number >= 1")
            return None
        if source_version > version:
            self.error(path, line, f"{language}: source_version {source_version} > version {version}")
        if language == SOURCE_LANGUAGE and source_version != version:
            self.error(path, line, "de: source_version must equal the version")
        return source_version

    def outdated(self, path: Path, data: LineDict, language: str, made_from: int, version: int) -> None:
        if made_from < version:
            self.warn(
                path,
                data.line_of("source_version"),
                f"{language}: translation is outdated (made from version {made_from}, "
                f"German is version {version})",
            )

    def weekly(self, path: Path, data: LineDict, line: int) -> WeeklyHours | None:
        if data.get("always") is True:
            return WeeklyHours(always=True)
        slots = {key: value for key, value in data.items() if key in WEEKDAYS}
        unknown = [k for k in data if k not in WEEKDAYS and k not in _HOURS_KEYS]
        for key in unknown:
            self.error(path, data.line_of(key), f"unknown key '{key}' in opening hours (weekdays: mon..sun)")
        try:
            for key, value in slots.items():
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise HoursError(f'{key}: give a list of slots like ["08:00-12:00"]')
            return WeeklyHours.from_mapping(slots)
        except HoursError as error:
            bad = next((k for k in slots if str(error).startswith(k) or k in str(error)), None)
            self.error(path, data.line_of(bad) if bad else line, f"unparsable opening hours: {error}")
            return None


_HOURS_KEYS = frozenset({"appointment_only", "always", "closed", "as_of", "check"})


def _empty_list(line: int) -> LineList:
    empty = LineList()
    empty.line = line
    empty.item_lines = []
    return empty


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(
                f"tag <{tag}> is not allowed (Telegram HTML: {', '.join(sorted(ALLOWED_TAGS))})"
            )
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not (URL.match(href) or href.startswith("tel:")):
                self.problems.append(f"link with malformed href {href!r}")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS:
            return
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"closing </{tag}> does not match")
        else:
            self.open.pop()


def visible_length(text: str) -> int:
    """Characters a reader sees: tags do not count, an entity counts as one."""
    return len(unescape(_ANY_TAG.sub("", text)))


_ANY_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def html_problems(text: str) -> list[str]:
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    problems = checker.problems
    if checker.open:
        problems.append(f"<{checker.open[-1]}> is never closed")
    return problems


# --- regions ------------------------------------------------------------------------------
def _read_regions(reader: _Reader, path: Path) -> tuple[Region, ...]:
    data = reader.read_mapping(path, "'regions'")
    if data is None:
        return ()
    regions: list[Region] = []
    items = reader.sequence(path, data, "regions", required=True)
    for index, item in enumerate(items):
        if not isinstance(item, LineDict):
            reader.error(path, items.line_of(index), "a region must be a mapping")
            continue
        region_id, name = reader.text(path, item, "id"), reader.text(path, item, "name")
        area = reader.text(path, item, "area")
        if area not in ("stadt", "landkreis"):
            reader.error(path, item.line_of("area"), "'area' must be stadt or landkreis")
            continue
        members = []
        for member in reader.sequence(path, item, "members"):
            if isinstance(member, LineDict) and (member_name := reader.text(path, member, "name")):
                members.append(Municipality(member_name, reader.texts(path, member, "spellings")))
        web = reader.text(path, item, "web", required=False)
        if web is not None and not web.startswith("https://"):
            reader.error(path, item.line_of("web"), f"'web' must be an https:// address, not {web!r}")
            web = None
        if region_id and name:
            regions.append(
                Region(
                    id=region_id,
                    name=name,
                    area=area,  # type: ignore[arg-type]
                    kind=str(item.get("kind", "")),
                    spellings=reader.texts(path, item, "spellings"),
                    members=tuple(members),
                    web=web,
                )
            )
    return tuple(regions)


def _region_index(reader: _Reader, path: Path, regions: tuple[Region, ...]) -> dict[str, Region]:
    index: dict[str, Region] = {}
    for region in regions:
        for name in region.names():
            key = fold(name)
            other = index.setdefault(key, region)
            if other.id != region.id:
                reader.error(path, 1, f"the name {name!r} stands for both {other.id} and {region.id}")
    return index


# --- places -------------------------------------------------------------------------------
def _read_place(reader: _Reader, path: Path, region_ids: set[str]) -> Place | None:
    data = reader.read_mapping(path, "id, name, regions and sources")
    if data is None:
        return None
    place_id, name = reader.text(path, data, "id"), reader.text(path, data, "name")
    if place_id and place_id != path.stem:
        reader.error(path, data.line_of("id"), f"id '{place_id}' does not match the file name '{path.stem}'")
    kind = reader.text(path, data, "kind") or "other"
    if kind not in PLACE_KINDS:
        reader.error(
            path, data.line_of("kind"), f"unknown kind '{kind}' (use {', '.join(sorted(PLACE_KINDS))})"
        )
    regions = reader.sequence(path, data, "regions", required=True)
    for index, region in enumerate(regions):
        if not isinstance(region, str):
            reader.error(path, regions.line_of(index), "a region must be a region id such as 'melle'")
        elif region not in region_ids and region not in ("all", "landkreis"):
            reader.error(path, regions.line_of(index), f"unknown region '{region}'")

    address = None
    raw_address = reader.mapping(path, data, "address", required=False)
    if raw_address is not None and (text := reader.text(path, raw_address, "text")):
        address = Address(text, reader.dated(path, raw_address))

    phones = []
    for index, raw in enumerate(reader.sequence(path, data, "phones")):
        line = data["phones"].line_of(index)
        if not isinstance(raw, LineDict):
            reader.error(path, line, "a phone must be a mapping with number and label")
            continue
        number = reader.text(path, raw, "number")
        if number and not PHONE.match(number):
            reader.error(path, raw.line_of("number"), f"malformed phone number {number!r}")
            continue
        label = reader.text(path, raw, "label") or "general"
        if label not in PHONE_LABELS:
            reader.error(path, raw.line_of("label"), f"unknown phone label '{label}'")
        phone_hours = None
        if (raw_hours := reader.mapping(path, raw, "hours", required=False)) is not None:
            phone_hours = reader.weekly(path, raw_hours, raw.line_of("hours"))
        if number:
            phones.append(Phone(number, label, phone_hours, reader.dated(path, raw)))

    email = reader.text(path, data, "email", required=False)
    if email and not EMAIL.match(email):
        reader.error(path, data.line_of("email"), f"malformed e-mail address {email!r}")
    links = {}
    for key in ("web", "appointment_url"):
        links[key] = reader.text(path, data, key, required=False)
        if links[key] and not URL.match(links[key] or ""):
            reader.error(path, data.line_of(key), f"malformed URL {links[key]!r}")

    hours: OpeningHours | None = None
    if (raw_hours := reader.mapping(path, data, "hours", required=False)) is not None:
        weekly = reader.weekly(path, raw_hours, data.line_of("hours"))
        appointment_only = raw_hours.get("appointment_only") is True
        if weekly is not None and weekly.empty and not appointment_only and "closed" not in raw_hours:
            reader.error(
                path, data.line_of("hours"), "opening hours name no weekday, 'always' or 'appointment_only'"
            )
        closed_from = closed_until = None
        if (closed := reader.mapping(path, raw_hours, "closed", required=False)) is not None:
            closed_from = reader.day(path, closed, "from")
            closed_until = reader.day(path, closed, "until")
        if weekly is not None:
            hours = OpeningHours(
                weekly, appointment_only, closed_from, closed_until, reader.dated(path, raw_hours)
            )

    barrier_free = data.get("barrier_free")
    if barrier_free is not None and not isinstance(barrier_free, bool):
        reader.error(path, data.line_of("barrier_free"), "'barrier_free' must be true or false")
        barrier_free = None
    languages = tuple(map(str, reader.sequence(path, data, "languages")))
    sources = reader.sources(path, data)
    verified_on = reader.day(path, data, "verified_on")
    if verified_on and due_for_review(verified_on, reader.today):
        reader.warn(path, data.line_of("verified_on"), f"verified_on {verified_on} is over 12 months old")
    if not (place_id and name and verified_on):
        return None
    return Place(
        id=place_id,
        name=name,
        kind=kind,
        regions=tuple(map(str, regions)),
        sources=sources,
        verified_on=verified_on,
        address=address,
        phones=tuple(phones),
        email=email,
        web=links["web"],
        appointment_url=links["appointment_url"],
        hours=hours,
        barrier_free=barrier_free,
        languages=languages,
    )


# --- catalogue and topics ---------------------------------------------------------------------
def _read_catalogue(reader: _Reader, path: Path) -> tuple[CatalogueEntry, ...]:
    data = reader.read_mapping(path, "'topics' and 'categories'")
    if data is None:
        return ()
    category_of: dict[str, str] = {}
    categories = reader.mapping(path, data, "categories") or LineDict()
    for category in categories:
        for member in reader.texts(path, categories, category):
            category_of[member] = category
    entries = []
    for index, item in enumerate(reader.sequence(path, data, "topics", required=True)):
        line = data["topics"].line_of(index)
        if not isinstance(item, LineDict) or not (topic_id := reader.text(path, item, "id")):
            reader.error(path, line, "a catalogue entry needs an id")
            continue
        reader.catalogue_lines[topic_id] = line
        if topic_id not in category_of:
            reader.error(path, line, f"topic '{topic_id}' is in no category")
        care = item.get("care")
        entries.append(
            CatalogueEntry(
                id=topic_id,
                title=str(item.get("title", topic_id)),
                category=category_of.get(topic_id, ""),
                place_dependent=item.get("place") is True,
                care=care if care in ("legal", "urgent") else None,
            )
        )
    return tuple(entries)


def _read_translation(
    reader: _Reader, path: Path, language: str, data: LineDict, version: int
) -> Translation | None:
    source_version = reader.source_version(path, data, language, version)
    if source_version is None:
        return None
    title = reader.text(path, data, "title")
    answer = reader.text(path, data, "answer")
    if answer:
        if len(answer) > ANSWER_LIMIT:
            reader.error(
                path,
                data.line_of("answer"),
                f"{language}: answer has {len(answer)} characters (limit {ANSWER_LIMIT})",
            )
        for problem in html_problems(answer):
            reader.error(path, data.line_of("answer"), f"{language}: {problem}")
    short = reader.text(path, data, "short", required=False)
    if short is None:
        reader.error(
            path,
            data.line_of("short"),
            f"{language}: 'short' is missing (what a phone user reads first, at most {SHORT_LIMIT} "
            "characters; see content/README.md)",
        )
    else:
        if (length := visible_length(short)) > SHORT_LIMIT:
            reader.error(
                path,
                data.line_of("short"),
                f"{language}: short has {length} visible characters (limit {SHORT_LIMIT})",
            )
        for problem in html_problems(short):
            reader.error(path, data.line_of("short"), f"{language}: {problem}")
    notes = {}
    for key in ("for_stadt", "for_landkreis"):
        notes[key] = reader.text(path, data, key, required=False)
        for problem in html_problems(notes[key] or ""):
            reader.error(path, data.line_of(key), f"{language}: {problem}")
    examples = reader.sequence(path, data, "examples", required=True)
    texts = [str(e).strip() for e in examples if str(e).strip()]
    if len(texts) < MIN_EXAMPLES:
        reader.error(
            path,
            data.line_of("examples"),
            f"{language}: {len(texts)} example questions, at least {MIN_EXAMPLES} needed",
        )
    if not (title and answer and short):
        return None
    return Translation(
        language=language,
        source_version=source_version,
        machine=data.get("machine") is True,
        title=title,
        answer=answer,
        examples=tuple(texts),
        for_stadt=notes["for_stadt"],
        for_landkreis=notes["for_landkreis"],
        short=short,
    )


def _read_topic(
    reader: _Reader, path: Path, catalogue: dict[str, CatalogueEntry], place_ids: set[str]
) -> tuple[Topic | None, LineDict | None]:
    data = reader.read_mapping(path, "id, version and translations")
    if data is None:
        return None, None
    topic_id = reader.text(path, data, "id")
    if topic_id and topic_id != path.stem:
        reader.error(path, data.line_of("id"), f"id '{topic_id}' does not match the file name '{path.stem}'")
    if topic_id and topic_id not in catalogue:
        reader.error(path, data.line_of("id"), f"unknown topic id '{topic_id}' (not in catalogue.yaml)")
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        reader.error(path, data.line_of("version"), "'version' must be a whole number >= 1")
        version = 1
    owner = reader.text(path, data, "owner")
    verified_on = reader.day(path, data, "verified_on")
    if verified_on and due_for_review(verified_on, reader.today):
        reader.warn(
            path,
            data.line_of("verified_on"),
            f"verified_on {verified_on} is over 12 months old: due for review",
        )
    places = reader.sequence(path, data, "places")
    for index, place in enumerate(places):
        if not isinstance(place, str):
            reader.error(path, places.line_of(index), "a place must be a place id such as 'abh_stadt'")
        elif place not in place_ids:
            reader.error(
                path, places.line_of(index), f"place '{place}' is referenced but not defined in places/"
            )
    translations: dict[str, Translation] = {}
    raw_translations = reader.mapping(path, data, "translations") or LineDict()
    for language in raw_translations:
        if language not in LANGUAGES:
            reader.error(path, raw_translations.line_of(language), f"unknown language '{language}'")
    for language in LANGUAGES:
        raw = raw_translations.get(language)
        if raw is None:
            reader.error(
                path,
                raw_translations.line or data.line_of("translations"),
                f"language '{language}' is missing",
            )
            continue
        if not isinstance(raw, LineDict):
            reader.error(path, raw_translations.line_of(language), f"{language}: must be a mapping")
            continue
        if (translation := _read_translation(reader, path, language, raw, version)) is not None:
            translations[language] = translation
            reader.outdated(path, raw, language, translation.source_version, version)
    entry = catalogue.get(topic_id or "")
    sources = reader.sources(path, data)
    check_since = reader.partial_date(path, data, "check_since")
    if not (topic_id and owner and verified_on and entry and SOURCE_LANGUAGE in translations):
        return None, data
    if entry.place_dependent and not places:
        reader.error(path, data.line_of("places"), "place-dependent topic lists no places")
    return (
        Topic(
            id=topic_id,
            version=version,
            owner=owner,
            verified_on=verified_on,
            sources=sources,
            translations=MappingProxyType(translations),
            places=tuple(map(str, places)),
            related=tuple(map(str, reader.sequence(path, data, "related"))),
            check_since=check_since,
            place_dependent=entry.place_dependent,
            care=entry.care,
            category=entry.category,
        ),
        data,
    )


def check(directory: Path, *, today: date | None = None) -> tuple[ContentBase | None, list[Problem]]:
    """Read and validate everything below `directory`; content is None when there are errors."""
    reader = _Reader(root=directory, today=today or date.today())
    catalogue = _read_catalogue(reader, directory / "catalogue.yaml")
    by_id = {entry.id: entry for entry in catalogue}
    regions = _read_regions(reader, directory / "regions.yaml")
    region_index = _region_index(reader, directory / "regions.yaml", regions)
    region_ids = {r.id for r in regions}

    places: dict[str, Place] = {}
    place_paths = sorted((directory / "places").glob("*.yaml"))
    for path in place_paths:
        if (place := _read_place(reader, path, region_ids)) is not None:
            places[place.id] = place
    place_ids = {path.stem for path in place_paths}

    topics: dict[str, Topic] = {}
    raw_topics: dict[str, tuple[Path, LineDict]] = {}
    for path in sorted((directory / "topics").glob("*.yaml")):
        topic, raw = _read_topic(reader, path, by_id, place_ids)
        if topic is not None and raw is not None:
            topics[topic.id] = topic
            raw_topics[topic.id] = (path, raw)
    for entry in catalogue:
        if entry.id not in topics and not (directory / "topics" / f"{entry.id}.yaml").exists():
            line = reader.catalogue_lines.get(entry.id, 1)
            reader.error(
                directory / "catalogue.yaml", line, f"topic '{entry.id}' has no file topics/{entry.id}.yaml"
            )

    _check_links(reader, topics, raw_topics)
    _check_duplicate_examples(reader, topics, raw_topics)
    crisis = _read_crisis_statements(reader, directory / CRISIS_FILE)
    keywords = _read_safety_keywords(reader, directory / KEYWORDS_FILE)
    phrases = _read_phrases(reader, directory / PHRASES_DIRECTORY)

    content = None
    if not any(p.severity == "error" for p in reader.problems):
        content = ContentBase(
            topics=MappingProxyType(topics),
            places=MappingProxyType(places),
            regions=regions,
            catalogue=catalogue,
            _region_index=MappingProxyType(region_index),
            crisis=crisis,
            keywords=keywords,
            phrases=MappingProxyType(phrases),
        )
    return content, sorted(reader.problems)


CRISIS_FILE = Path("safety") / "crisis.yaml"
CRISIS_KINDS = ("emergency", "violence", "calm")
# The semantic safety net needs enough of each kind in every language to learn it there.
MIN_STATEMENTS = {"emergency": 15, "violence": 4, "calm": 12}
MAX_STATEMENT_LENGTH = 300


def _read_crisis_statements(reader: _Reader, path: Path) -> CrisisStatements:
    """content/safety/crisis.yaml: kind -> group -> language -> statements, each checked."""
    if not path.exists():
        reader.error(path, 1, "missing: the semantic safety net learns from it (see content/README.md)")
        return CrisisStatements()
    data = reader.read_mapping(path, "'emergency', 'violence' and 'calm'")
    if data is None:
        return CrisisStatements()
    for key in data:
        if key not in CRISIS_KINDS:
            reader.error(
                path, data.line_of(key), f"unknown kind '{key}' (expected {', '.join(CRISIS_KINDS)})"
            )
    seen: dict[str, str] = {}
    kinds: dict[str, StatementGroups] = {}
    for kind in CRISIS_KINDS:
        groups: dict[str, MappingProxyType[str, tuple[str, ...]]] = {}
        counts = dict.fromkeys(LANGUAGES, 0)
        for group, by_language in (reader.mapping(path, data, kind) or LineDict()).items():
            if not isinstance(by_language, LineDict):
                reader.error(path, data[kind].line_of(group), f"{kind}.{group} must map languages to lists")
                continue
            languages: dict[str, tuple[str, ...]] = {}
            for language in by_language:
                if language not in LANGUAGES:
                    reader.error(path, by_language.line_of(language), f"unknown language '{language}'")
                    continue
                statements = reader.sequence(path, by_language, language, required=True)
                kept = []
                for index, statement in enumerate(statements):
                    line = statements.line_of(index)
                    if not isinstance(statement, str) or not statement.strip():
                        reader.error(path, line, f"{kind}.{group}.{language}: a statement must be text")
                    elif len(statement) > MAX_STATEMENT_LENGTH:
                        reader.error(path, line, f"statement longer than {MAX_STATEMENT_LENGTH} characters")
                    elif (first := seen.setdefault(fold(statement), f"{kind}.{group}:{line}")) != (
                        f"{kind}.{group}:{line}"
                    ):
                        reader.error(path, line, f"statement {statement!r} also stands at {first}")
                    else:
                        kept.append(statement.strip())
                languages[language] = tuple(kept)
                counts[language] += len(kept)
            groups[group] = MappingProxyType(languages)
        for language, count in counts.items():
            if count < MIN_STATEMENTS[kind]:
                reader.error(
                    path,
                    data.line_of(kind) if kind in data else 1,
                    f"{kind}: {language} has {count} statements, at least {MIN_STATEMENTS[kind]} needed",
                )
        kinds[kind] = MappingProxyType(groups)
    return CrisisStatements(**kinds)


KEYWORDS_FILE = Path("safety") / "keywords.yaml"
KEYWORD_CATEGORIES = ("emergency", "violence")
KEYWORD_PHRASE_LISTS = ("not_an_emergency", "danger_over", "violence_elsewhere")  # whole phrases, by language
KEYWORD_KEYS = ", ".join((*KEYWORD_CATEGORIES, *KEYWORD_PHRASE_LISTS))
EVERY_LANGUAGE = "any"
_KEYWORD_MARK = re.compile(r"^[=*]{0,2}(?P<stem>[^=*$]+)\$?$")


def _read_safety_keywords(reader: _Reader, path: Path) -> SafetyKeywords:
    """content/safety/keywords.yaml: category -> language (or "any") -> one keyword per line."""
    if not path.exists():
        reader.error(path, 1, "missing: the urgent-keyword net reads it (see content/README.md)")
        return SafetyKeywords()
    data = reader.read_mapping(path, KEYWORD_KEYS)
    if data is None:
        return SafetyKeywords()
    for key in data:
        if key not in (*KEYWORD_CATEGORIES, *KEYWORD_PHRASE_LISTS):
            reader.error(
                path,
                data.line_of(key),
                f"unknown key '{key}' (expected {KEYWORD_KEYS})",
            )
    keywords: list[SafetyKeyword] = []
    for category in KEYWORD_CATEGORIES:
        lists = reader.mapping(path, data, category) or LineDict()
        seen: dict[tuple[str, str], int] = {}  # (list, folded phrase) -> line
        for language in (*LANGUAGES, EVERY_LANGUAGE):
            if language not in lists:
                if language != EVERY_LANGUAGE:
                    reader.error(
                        path,
                        data.line_of(category) if category in data else 1,
                        f"{category}: no list for {language}",
                    )
                continue
            block = lists[language]
            first_line = lists.line_of(language) + 1  # a `|` block starts on the next line
            if not isinstance(block, str):
                reader.error(
                    path,
                    first_line - 1,
                    f"{category}.{language}: write the keywords as a `|` block, one per line",
                )
                continue
            for offset, raw in enumerate(block.splitlines()):
                phrase, line = raw.strip(), first_line + offset
                if not phrase:
                    continue
                parts = phrase.removeprefix("?").split()
                bad = [part for part in parts if not _KEYWORD_MARK.match(part) or not fold(part)]
                if not parts or bad:
                    reader.error(path, line, f"{phrase!r}: marks are =, * before a stem and $ after it")
                    continue
                # Apostrophes join word parts, as the net reads them ("women's" is "womens").
                folded = fold(re.sub("['ʼ’]", "", phrase.removeprefix("?")))
                repeated = seen.get((language, folded)) or seen.get((EVERY_LANGUAGE, folded))
                if repeated:
                    reader.error(path, line, f"{phrase!r} repeats line {repeated} ({category})")
                    continue
                seen[(language, folded)] = line
                keywords.append(SafetyKeyword(category, language, phrase))
        for language in lists:
            if language not in (*LANGUAGES, EVERY_LANGUAGE):
                reader.error(path, lists.line_of(language), f"unknown language '{language}'")
    not_an_emergency, danger_over, violence_elsewhere = (
        _read_phrase_list(reader, path, data, key) for key in KEYWORD_PHRASE_LISTS
    )
    return SafetyKeywords(tuple(keywords), not_an_emergency, danger_over, violence_elsewhere)


def _read_phrase_list(reader: _Reader, path: Path, data: LineDict, key: str) -> tuple[str, ...]:
    """An optional language -> list of whole phrases (not_an_emergency, danger_over, violence_elsewhere)."""
    found: list[str] = []
    by_language = reader.mapping(path, data, key, required=False) or LineDict()
    for language in by_language:
        if language not in LANGUAGES:
            reader.error(path, by_language.line_of(language), f"unknown language '{language}'")
            continue
        phrases = reader.sequence(path, by_language, language, required=True)
        for index, phrase in enumerate(phrases):
            if not isinstance(phrase, str) or not fold(phrase):
                reader.error(path, phrases.line_of(index), f"{key}: a phrase must be text")
            else:
                found.append(phrase.strip())
    return tuple(found)


PHRASES_DIRECTORY = "phrases"
PHRASE_LIMIT = 600  # characters of a phrase's text, before its slots are filled


def _placeholders(text: str) -> list[str]:
    """The {slot} names in a phrase's text; ValueError for braces that are no placeholder."""
    found = []
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as error:  # a lone { or }
        raise ValueError(f"braces: write {{slot_name}}, or a brace twice ({{{{ or }}}}) ({error})") from None
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if not IDENT.match(name) or spec or conversion:
            raise ValueError(f"'{{{name}}}' is no placeholder: write {{slot_name}}, or leave braces out")
        found.append(name)
    return found


def _read_slots(reader: _Reader, path: Path, data: LineDict) -> dict[str, SlotKind]:
    raw = reader.mapping(path, data, "slots", required=False) or LineDict()
    slots: dict[str, SlotKind] = {}
    for name, kind in raw.items():
        if not IDENT.match(name):
            reader.error(path, raw.line_of(name), f"slot name '{name}' must be lower case, a-z 0-9 _")
        elif kind not in SLOT_KINDS:
            reader.error(
                path, raw.line_of(name), f"slot '{name}': kind must be one of {', '.join(SLOT_KINDS)}"
            )
        else:
            slots[name] = kind
    return slots


def _read_phrase_text(
    reader: _Reader, path: Path, language: str, data: LineDict, version: int, slots: dict[str, SlotKind]
) -> PhraseTranslation | None:
    source_version = reader.source_version(path, data, language, version)
    text = reader.text(path, data, "text")
    if source_version is None or text is None:
        return None
    line = data.line_of("text")
    if len(text) > PHRASE_LIMIT:
        reader.error(path, line, f"{language}: text has {len(text)} characters (limit {PHRASE_LIMIT})")
    try:
        used = _placeholders(text)
    except ValueError as error:
        reader.error(path, line, f"{language}: {error}")
        return None
    for name in dict.fromkeys(used):
        if name not in slots:
            reader.error(path, line, f"{language}: placeholder {{{name}}} is not a declared slot")
    for name in slots:
        if name not in used:
            reader.error(path, line, f"{language}: slot {{{name}}} is missing from the text")
    reader.outdated(path, data, language, source_version, version)
    return PhraseTranslation(language, source_version, data.get("machine") is True, text)


def _read_phrase(
    reader: _Reader, path: Path, data: LineDict, group_title: str, seen: dict[str, str]
) -> Phrase | None:
    phrase_id = reader.text(path, data, "id")
    if phrase_id is not None and not IDENT.match(phrase_id):
        reader.error(path, data.line_of("id"), f"phrase id '{phrase_id}' must be lower case, a-z 0-9 _")
        phrase_id = None
    if phrase_id is not None:
        where = f"{reader.rel(path)}:{data.line_of('id')}"
        if (first := seen.setdefault(phrase_id, where)) != where:
            reader.error(path, data.line_of("id"), f"phrase id '{phrase_id}' also stands at {first}")
            phrase_id = None
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        reader.error(path, data.line_of("version"), "'version' must be a whole number >= 1")
        version = 1
    slots = _read_slots(reader, path, data)
    raw_translations = reader.mapping(path, data, "translations") or LineDict()
    translations: dict[str, PhraseTranslation] = {}
    for language, raw in raw_translations.items():
        line = raw_translations.line_of(language)
        if language not in LANGUAGES:
            reader.error(path, line, f"unknown language '{language}'")
        elif not isinstance(raw, LineDict):
            reader.error(path, line, f"{language}: must be a mapping with source_version and text")
        elif found := _read_phrase_text(reader, path, language, raw, version, slots):
            translations[language] = found
    if SOURCE_LANGUAGE not in raw_translations:
        reader.error(path, data.line_of("translations"), "the German text (de) is missing")
    missing = [language for language in LANGUAGES if language not in raw_translations]
    if missing and SOURCE_LANGUAGE not in missing:
        reader.warn(path, data.line_of("translations"), f"not yet translated into {', '.join(missing)}")
    if phrase_id is None or SOURCE_LANGUAGE not in translations:
        return None
    return Phrase(
        id=phrase_id,
        group=path.stem,
        group_title=group_title,
        version=version,
        slots=MappingProxyType(slots),
        translations=MappingProxyType(translations),
    )


def _read_phrases(reader: _Reader, directory: Path) -> dict[str, Phrase]:
    """content/phrases/<group>.yaml: the staff phrasebook (optional: no folder, no phrases)."""
    phrases: dict[str, Phrase] = {}
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        data = reader.read_mapping(path, "'title' and 'phrases'")
        if data is None:
            continue
        title = reader.text(path, data, "title") or path.stem
        items = reader.sequence(path, data, "phrases", required=True)
        for index, item in enumerate(items):
            if not isinstance(item, LineDict):
                reader.error(
                    path, items.line_of(index), "a phrase must be a mapping with id and translations"
                )
            elif (phrase := _read_phrase(reader, path, item, title, seen)) is not None:
                phrases[phrase.id] = phrase
    return phrases


def _check_links(reader: _Reader, topics: dict[str, Topic], raw: dict[str, tuple[Path, LineDict]]) -> None:
    for topic in topics.values():
        path, data = raw[topic.id]
        related = data.get("related") or LineList()
        for index, other in enumerate(topic.related):
            if other not in topics:
                line = related.line_of(index) if isinstance(related, LineList) else data.line_of("related")
                reader.error(path, line, f"related topic '{other}' does not exist")


def _check_duplicate_examples(
    reader: _Reader, topics: dict[str, Topic], raw: dict[str, tuple[Path, LineDict]]
) -> None:
    first_seen: dict[str, str] = {}
    for topic in topics.values():
        path, data = raw[topic.id]
        for language, translation in topic.translations.items():
            # A translation cut short may have lost its examples: that is reported elsewhere.
            examples = (data.get("translations") or {}).get(language, {}).get("examples")
            for index, example in enumerate(translation.examples):
                key = fold(example)
                owner = first_seen.setdefault(key, topic.id)
                if owner != topic.id:
                    reader.error(
                        path,
                        examples.line_of(index)
                        if isinstance(examples, LineList)
                        else data.line_of("translations"),
                        f"{language}: example question {example!r} also stands under topic '{owner}'",
                    )


def load(directory: Path) -> ContentBase:
    content, problems = check(directory)
    if content is None:
        raise ContentError(problems)
    return content
