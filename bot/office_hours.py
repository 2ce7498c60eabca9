"""Weekly opening hours: parsing, "open now?" and "next opening".

One implementation serves the places of the content base and the staff office hours.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLOT = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class HoursError(ValueError):
    """An opening-hours text that cannot be read."""


@dataclass(frozen=True, slots=True)
class Slot:
    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_slot(text: str) -> Slot:
    match = _SLOT.match(text.strip())
    if not match:
        raise HoursError(f"{text!r} is not a time slot like 08:00-12:30")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise HoursError(f"{text!r} has an impossible time")
    end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    start = time(h1, m1)
    if end <= start:
        raise HoursError(f"{text!r} ends before it starts")
    return Slot(start, end)


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Time slots per weekday (0 = Monday). `always` means around the clock."""

    days: tuple[tuple[Slot, ...], ...] = ((),) * 7
    always: bool = False

    @classmethod
    def from_mapping(cls, mapping: dict[str, list[str]]) -> WeeklyHours:
        days: list[tuple[Slot, ...]] = [() for _ in WEEKDAYS]
        for key, slots in mapping.items():
            if key not in WEEKDAYS:
                raise HoursError(f"{key!r} is not a weekday (use {', '.join(WEEKDAYS)})")
            parsed = sorted((parse_slot(slot) for slot in slots), key=lambda s: s.start)
            for earlier, later in itertools.pairwise(parsed):
                if later.start < earlier.end:
                    raise HoursError(f"slots {earlier} and {later} on {key} overlap")
            days[WEEKDAYS.index(key)] = tuple(parsed)
        return cls(days=tuple(days))

    @property
    def empty(self) -> bool:
        return not self.always and not any(self.days)

    def is_open(self, moment: datetime) -> bool:
        if self.always:
            return True
        now = moment.time()
        return any(slot.start <= now < slot.end for slot in self.days[moment.weekday()])

    def next_opening(self, moment: datetime) -> datetime | None:
        """The start of the next slot after `moment` (None when never open)."""
        if self.always or self.empty:
            return None
        for offset in range(8):
            day = (moment + timedelta(days=offset)).date()
            for slot in self.days[day.weekday()]:
                start = datetime.combine(day, slot.start, tzinfo=moment.tzinfo)
                if start > moment:
                    return start
        return None


def parse_office_hours(text: str) -> WeeklyHours:
    """Read 'mon-fri 09:00-16:00; sat 10:00-12:00' (ranges or single days, ';' between parts)."""
    mapping: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        try:
            days, slot = part.split()
        except ValueError:
            raise HoursError(f"{part!r} is not like 'mon-fri 09:00-16:00'") from None
        first, _, last = days.lower().partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise HoursError(f"{days!r} is not a weekday range")
        span = WEEKDAYS[WEEKDAYS.index(first) : WEEKDAYS.index(last or first) + 1]
        if not span:
            raise HoursError(f"{days!r} runs backwards")
        for day in span:
            mapping.setdefault(day, []).append(slot)
    if not mapping:
        raise HoursError("no office hours given")
    return WeeklyHours.from_mapping(mapping)
