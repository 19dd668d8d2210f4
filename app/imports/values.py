"""Parsing single values the way Swedish exports write them: decimal commas, local times, Excel dates."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo

import numpy as np
import pandas as pd

_SPACES = re.compile(r"[\s\u00a0\u202f']")
_CLOCK_DOTS = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{2})(?:\.(\d{2}))?$")
_POLICE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-])(\d{2}):?(\d{2})$"
)
# Dates written out in words, as in reports and hand-kept lists: '7 juni 2025', 'lör 7 jun. 2025', '7-Jun-2025'
_MONTHS = {name: n for n, names in enumerate((
    ("januari", "jan", "january"), ("februari", "feb", "february"), ("mars", "mar", "march"), ("april", "apr"),
    ("maj", "may"), ("juni", "jun", "june"), ("juli", "jul", "july"), ("augusti", "aug", "august"),
    ("september", "sep", "sept"), ("oktober", "okt", "oct", "october"), ("november", "nov"),
    ("december", "dec")), start=1) for name in names}
_WORDS_DATE = re.compile(r"^(?:[a-zåäö]+\.?,?\s+)?(?:den\s+)?(\d{1,2})[\s.-]+([a-zåäö]+)\.?[\s.-]+(\d{4})\b,?")
_KL = re.compile(r"\s+kl(?:ockan|\.)?\s*", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y")
_CLOCK_FORMATS = ("%H:%M:%S", "%H:%M", "%H%M")
EXCEL_EPOCH = datetime(1899, 12, 30)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


class ValueProblem(ValueError):
    """A value that cannot be read; the message says why."""


def parse_number(text: str) -> float:
    """'58,3245' and '6 467 123,5' and '15.13' → float. Rejects empty, NaN and infinity."""
    cleaned = _SPACES.sub("", text)
    if not cleaned:
        raise ValueProblem("empty")
    if "," in cleaned:
        if "." in cleaned:  # 1.234,5 (thousands dot) or 1,234.5 (thousands comma)
            cleaned = cleaned.replace(".", "").replace(",", ".") if cleaned.rfind(",") > cleaned.rfind(".") \
                else cleaned.replace(",", "")
        else:
            cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueProblem(f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueProblem(f"{text!r} is not a finite number")
    return value


_DMS = re.compile(
    r"^\s*([NSEWÖVnsewöv])?\s*(\d{1,3}(?:[.,]\d+)?)\s*(?:°|º|d|\s)\s*"
    r"(?:(\d{1,2}(?:[.,]\d+)?)\s*(?:'|′|’|m|\s)?\s*)?"
    r"(?:(\d{1,2}(?:[.,]\d+)?)\s*(?:\"|″|''|”|s)?\s*)?([NSEWÖVnsewöv])?\s*$"
)


def parse_coordinate(text: str) -> float:
    """A latitude or longitude: a plain number (decimal comma allowed), or degrees with minutes and seconds
    as copied from map sites and GPS units: 58°19′25″N, 58° 19.417' N, N 58°19'25", 15°7'50"Ö."""
    try:
        return parse_number(text)
    except ValueProblem:
        pass
    match = _DMS.match(text.strip())
    if not match or (match.group(1) and match.group(5)):
        raise ValueProblem(f"{text!r} is not a coordinate (use 58.3236 or 58°19′25″N)")
    degrees, minutes, seconds = (float(g.replace(",", ".")) if g else 0.0 for g in match.group(2, 3, 4))
    if minutes >= 60 or seconds >= 60:
        raise ValueProblem(f"{text!r}: minutes and seconds must be below 60")
    value = degrees + minutes / 60 + seconds / 3600
    hemisphere = (match.group(1) or match.group(5) or "N").upper()
    return -value if hemisphere in ("S", "W", "V") else value


def parse_when(date_text: str, clock_text: str | None, tz: tzinfo, now: datetime | None = None) -> datetime:
    """A point in time from one timestamp column or a date + clock pair; naive times are local (`tz`).

    Accepts ISO 8601 (with or without offset, 'T' or space), '21.30' clocks, dd/mm/yyyy and
    dd.mm.yyyy dates, months in words ('7 juni 2025', 'lör 7 jun. 2025 kl. 21.30'), compact yyyymmdd,
    the police feed's unpadded hour ('2025-06-07 7:32:06 +02:00'), and Excel serial day numbers.
    Rejects times in the future and before 1990.
    """
    text = date_text.strip()
    if clock_text and clock_text.strip():
        text = f"{text} {clock_text.strip().removeprefix('kl.').removeprefix('kl').strip()}"
    if not text:
        raise ValueProblem("empty")
    value = _parse_datetime(text, tz)
    now = now or datetime.now(UTC)
    if value > now + timedelta(days=1):
        raise ValueProblem(f"{text!r} lies in the future")
    if value < EARLIEST:
        raise ValueProblem(f"{text!r} is before 1990; check the date format")
    return value


def _parse_datetime(text: str, tz: tzinfo) -> datetime:
    if "." in text:  # '21.30' is a Swedish clock, which fromisoformat would misread as a fraction
        return _parse_datetime_slow(text, tz)
    try:  # fast path: ISO 8601, by far the most common
        value = datetime.fromisoformat(text)
    except ValueError:
        return _parse_datetime_slow(text, tz)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def _parse_epoch(text: str) -> datetime | None:
    """Unix time in seconds (10 digits) or milliseconds (13 digits), as ArcGIS and JSON exports write it."""
    if not text.isdigit() or len(text) not in (9, 10, 12, 13):
        return None
    value = int(text) / (1000 if len(text) >= 12 else 1)
    return datetime.fromtimestamp(value, tz=UTC)


def _parse_datetime_slow(text: str, tz: tzinfo) -> datetime:
    epoch = _parse_epoch(text)
    if epoch is not None:
        return epoch
    police = _POLICE_TIME.match(text)
    if police:
        y, mo, d, h, mi, s, sign, oh, om = police.groups()
        offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
        try:
            naive = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
        except ValueError as exc:
            raise ValueProblem(f"{text!r}: {exc}") from None
        return (naive - offset).replace(tzinfo=UTC)
    normalised = _KL.sub(" ", _in_numbers(text))
    normalised = _CLOCK_DOTS.sub(lambda m: f"{m[1]}:{m[2]}" + (f":{m[3]}" if m[3] else ""), normalised)
    normalised = normalised.replace("Z", "+00:00") if normalised.endswith("Z") else normalised
    try:
        value = datetime.fromisoformat(normalised)
    except ValueError:
        fallback = _parse_with_formats(normalised) or _parse_excel_serial(normalised)
        if fallback is None:
            raise ValueProblem(f"{text!r} is not a date and time (use e.g. 2025-06-07 21:30)") from None
        value = fallback
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def _in_numbers(text: str) -> str:
    """'lördag 7 juni 2025 kl. 21.30' → '2025-06-07 kl. 21.30'; text without a month name is unchanged."""
    match = _WORDS_DATE.match(text.strip().lower())
    if match is None or match[2] not in _MONTHS:
        return text
    day, month, year = int(match[1]), _MONTHS[match[2]], int(match[3])
    return f"{year:04d}-{month:02d}-{day:02d}{text.strip()[match.end():]}"


def _parse_with_formats(text: str) -> datetime | None:
    parts = text.split()
    date_part, clock_part = parts[0], " ".join(parts[1:])
    for date_format in _DATE_FORMATS:
        try:
            day = datetime.strptime(date_part, date_format)
        except ValueError:
            continue
        if not clock_part:
            return day
        for clock_format in _CLOCK_FORMATS:
            try:
                clock = datetime.strptime(clock_part, clock_format)
            except ValueError:
                continue
            return day.replace(hour=clock.hour, minute=clock.minute, second=clock.second)
        return None
    return None


def _parse_excel_serial(text: str) -> datetime | None:
    try:
        serial = float(text.replace(",", "."))
    except ValueError:
        return None
    if not 30_000 < serial < 80_000:  # 1982..2119: anything else is not an Excel date
        return None
    return EXCEL_EPOCH + timedelta(days=serial)


def content_hash(*parts: object) -> str:
    """Stable id for a row that has none, so re-importing the same file adds nothing."""
    digest = hashlib.sha1("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()
    return f"sha1:{digest[:24]}"


# -- Many values at once -------------------------------------------------------------------------------
# The importer reads a block of rows per call. The forms almost every export uses are read in bulk; every
# other value goes through the one-at-a-time function above, so a value always means what it means alone.

_PLAIN_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d*)?(?:[eE][-+]?\d+)?\Z")
_PLAIN_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?\Z")
NO_TIME = np.iinfo(np.int64).min  # a row whose time could not be read
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def parse_numbers(texts: Sequence[str], one: Callable[[str], float] = parse_number
                  ) -> tuple[np.ndarray, dict[int, str]]:
    """`one` applied to each text (parse_number or parse_coordinate): the values (NaN where a text could not
    be read) and the problems by position. Plain decimals ('58,3236', '-15.1') are read directly; they mean
    the same to both functions."""
    plain = _PLAIN_NUMBER.match
    values = np.array([float(t.replace(",", ".")) if plain(t) else math.nan for t in texts], dtype=np.float64)
    problems: dict[int, str] = {}
    for k in np.flatnonzero(~np.isfinite(values)).tolist():
        try:
            values[k] = one(texts[k])
        except ValueProblem as exc:
            problems[k] = str(exc)
    return values, problems


def parse_when_many(dates: Sequence[str], clocks: Sequence[str] | None, tz: tzinfo,
                    now: datetime | None = None) -> tuple[np.ndarray, dict[int, str]]:
    """parse_when for each row: microseconds since 1970 UTC (NO_TIME where a row failed) and the problems
    by position. Plain local times ('2025-06-07 21:30', with 'T' or seconds) are converted in bulk; a
    time the clock change makes ambiguous or impossible, and every other form, takes parse_when itself."""
    now = now or datetime.now(UTC)
    if clocks is None:
        texts = list(dates)
    else:
        texts = [f"{d} {c.removeprefix('kl.').removeprefix('kl').strip()}" if c else d
                 for d, c in zip(dates, clocks, strict=True)]
    out = np.full(len(texts), NO_TIME, dtype=np.int64)
    plain = [k for k, t in enumerate(texts) if _PLAIN_LOCAL.match(t)]
    if plain:
        parsed = pd.to_datetime(pd.Series([texts[k] for k in plain], dtype=object), format="ISO8601",
                                errors="coerce")
        utc = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert(None)
        micros = utc.dt.as_unit("us").to_numpy().view(np.int64)
        low = (EARLIEST - UNIX_EPOCH) // _MICROSECOND
        high = (now + timedelta(days=1) - UNIX_EPOCH) // _MICROSECOND
        ok = (micros != NO_TIME) & (micros >= low) & (micros <= high)
        out[np.asarray(plain)[ok]] = micros[ok]
    problems: dict[int, str] = {}
    for k in np.flatnonzero(out == NO_TIME).tolist():
        try:
            value = parse_when(dates[k], clocks[k] if clocks is not None else None, tz, now)
        except ValueProblem as exc:
            problems[k] = str(exc)
        else:
            out[k] = (value - UNIX_EPOCH) // _MICROSECOND
    return out, problems
