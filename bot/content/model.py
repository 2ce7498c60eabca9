"""The content base as typed, immutable objects."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Literal

from bot.office_hours import WeeklyHours

LANGUAGES: tuple[str, ...] = ("de", "en", "uk", "ru", "ar", "tr", "fa", "ku")
SOURCE_LANGUAGE = "de"
FALLBACK_CHAIN: tuple[str, ...] = ("en", "de")

Area = Literal["stadt", "landkreis"]
Care = Literal["legal", "urgent"]


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date as precise as its source: year, year-month or a full day."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        parts = str(text).split("-")
        if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
            raise ValueError(f"{text!r} is not a date like 2021, 2021-06 or 2021-06-09")
        numbers = [int(p) for p in parts]
        found = cls(*numbers)
        date(found.year, found.month or 1, found.day or 1)  # raises on an impossible date
        return found

    def as_date(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    def __str__(self) -> str:
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"


@dataclass(frozen=True, slots=True)
class Source:
    url: str
    seen: date
    date: str = "n/d"
    status: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Dated:
    """Marks a fact the dossier tags OLD/VERIFY: shown with its date and a 'please check'."""

    as_of: PartialDate | None = None
    check: bool = False


@dataclass(frozen=True, slots=True)
class Address:
    text: str
    dated: Dated = Dated()


@dataclass(frozen=True, slots=True)
class Phone:
    number: str
    label: str
    hours: WeeklyHours | None = None
    dated: Dated = Dated()

    @property
    def tel_uri(self) -> str:
        digits = "".join(ch for ch in self.number if ch.isdigit() or ch == "+")
        if digits.startswith("0") and len(digits) > 6:
            digits = "+49" + digits[1:]
        return f"tel:{digits}"


@dataclass(frozen=True, slots=True)
class OpeningHours:
    weekly: WeeklyHours = field(default_factory=WeeklyHours)
    appointment_only: bool = False
    closed_from: date | None = None
    closed_until: date | None = None
    dated: Dated = Dated()

    def closed_on(self, day: date) -> bool:
        return (
            self.closed_from is not None
            and self.closed_until is not None
            and self.closed_from <= day <= self.closed_until
        )


@dataclass(frozen=True, slots=True)
class Place:
    id: str
    name: str
    kind: str
    regions: tuple[str, ...]
    sources: tuple[Source, ...]
    verified_on: date
    address: Address | None = None
    phones: tuple[Phone, ...] = ()
    email: str | None = None
    web: str | None = None
    appointment_url: str | None = None
    hours: OpeningHours | None = None
    barrier_free: bool | None = None
    languages: tuple[str, ...] = ()

    def serves(self, region: Region | None) -> bool:
        if "all" in self.regions:
            return True
        if region is None:
            return False
        return region.id in self.regions or (region.area == "landkreis" and "landkreis" in self.regions)


@dataclass(frozen=True, slots=True)
class Municipality:
    name: str
    spellings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Region:
    id: str
    name: str
    area: Area
    kind: str
    spellings: tuple[str, ...] = ()
    members: tuple[Municipality, ...] = ()
    web: str | None = None  # the municipality's own website, where the dossier names it

    def names(self) -> tuple[str, ...]:
        """Every way of writing this region, member municipalities included."""
        names = [self.name, *self.spellings]
        for member in self.members:
            names += [member.name, *member.spellings]
        return tuple(names)


@dataclass(frozen=True, slots=True)
class Translation:
    language: str
    source_version: int
    machine: bool
    title: str
    answer: str
    examples: tuple[str, ...]
    for_stadt: str | None = None
    for_landkreis: str | None = None
    # What a phone user reads first (the answer is behind "More"); the loader requires it.
    short: str = ""

    def regional_note(self, area: Area) -> str | None:
        return self.for_stadt if area == "stadt" else self.for_landkreis


TranslationState = Literal["up to date", "outdated", "missing", "machine-made"]


def translation_state(found: Translation | PhraseTranslation | None, version: int) -> TranslationState:
    """A translation's state against the German source's current version."""
    if found is None:
        return "missing"
    if found.source_version < version:
        return "outdated"
    if found.machine:
        return "machine-made"
    return "up to date"


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    version: int
    owner: str
    verified_on: date
    sources: tuple[Source, ...]
    translations: Mapping[str, Translation]
    places: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    check_since: PartialDate | None = None
    place_dependent: bool = False
    care: Care | None = None
    category: str = ""

    def translation_state(self, language: str) -> TranslationState:
        return translation_state(self.translations.get(language), self.version)

    def best_translation(self, language: str) -> Translation:
        """The user's language if present and current enough, else English, else German."""
        for candidate in (language, *FALLBACK_CHAIN):
            found = self.translations.get(candidate)
            if found is not None:
                return found
        return self.translations[SOURCE_LANGUAGE]


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    id: str
    title: str
    category: str
    place_dependent: bool
    care: Care | None


def fold(text: str) -> str:
    """Comparison form of a name or question: case, accents and punctuation folded away."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    kept = [ch for ch in decomposed if not unicodedata.combining(ch)]
    cleaned = "".join(ch if ch.isalnum() else " " for ch in kept)
    return " ".join(cleaned.split())


# group ("suicide", "farewell", …) -> language -> statements
StatementGroups = Mapping[str, Mapping[str, tuple[str, ...]]]


@dataclass(frozen=True)
class CrisisStatements:
    """content/safety/crisis.yaml: what the semantic safety net learns a crisis and calm from."""

    emergency: StatementGroups = field(default_factory=lambda: MappingProxyType({}))
    violence: StatementGroups = field(default_factory=lambda: MappingProxyType({}))
    calm: StatementGroups = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class SafetyKeyword:
    category: str  # "emergency" or "violence"
    language: str  # the list it stands in: a language, or "any" (written the same in every language)
    phrase: str  # as written in content/safety/keywords.yaml, marks included ("? polizei", "=*brand")


# eq=False: the keyword net is compiled once per loaded file, found again by identity.
@dataclass(frozen=True, eq=False)
class SafetyKeywords:
    """content/safety/keywords.yaml: the words and phrases of the urgent-keyword net."""

    keywords: tuple[SafetyKeyword, ...] = ()
    not_an_emergency: tuple[str, ...] = ()  # "kein Notfall": the word "Notfall" then raises no alarm
    danger_over: tuple[str, ...] = ()  # "we put it out": a strong keyword beside it is a weak cue
    # "in my home country": a strong keyword of violence beside it is a weak cue
    violence_elsewhere: tuple[str, ...] = ()


SlotKind = Literal["date", "time", "weekday", "place", "text"]
SLOT_KINDS: tuple[str, ...] = ("date", "time", "weekday", "place", "text")


@dataclass(frozen=True, slots=True)
class PhraseTranslation:
    language: str
    source_version: int
    machine: bool
    text: str  # plain text with {slot} placeholders


@dataclass(frozen=True, slots=True)
class Phrase:
    """A reviewed sentence staff send to a user, in every language, with slots they fill in."""

    id: str
    group: str  # the file it stands in (greetings, documents, …)
    group_title: str  # the group's German heading in the console
    version: int
    slots: Mapping[str, SlotKind]  # slot name -> kind, in the order declared
    translations: Mapping[str, PhraseTranslation]

    @property
    def german(self) -> str:
        return self.translations[SOURCE_LANGUAGE].text

    def translation_state(self, language: str) -> TranslationState:
        return translation_state(self.translations.get(language), self.version)


@dataclass(frozen=True)
class ContentBase:
    topics: Mapping[str, Topic]
    places: Mapping[str, Place]
    regions: tuple[Region, ...]
    catalogue: tuple[CatalogueEntry, ...]
    _region_index: Mapping[str, Region] = field(default_factory=lambda: MappingProxyType({}))
    crisis: CrisisStatements = field(default_factory=CrisisStatements)
    keywords: SafetyKeywords = field(default_factory=SafetyKeywords)
    phrases: Mapping[str, Phrase] = field(default_factory=lambda: MappingProxyType({}))

    def region(self, region_id: str) -> Region | None:
        return next((r for r in self.regions if r.id == region_id), None)

    def resolve_region(self, text: str) -> Region | None:
        """Exact (folded) match of a region or member-municipality name."""
        return self._region_index.get(fold(text))

    def places_for(self, topic: Topic, region: Region | None) -> tuple[Place, ...]:
        return tuple(self.places[p] for p in topic.places if self.places[p].serves(region))

    def examples(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """topic id -> language -> example questions (the NLU's training data)."""
        return {
            topic.id: {lang: t.examples for lang, t in topic.translations.items()}
            for topic in self.topics.values()
        }
