"""What time the stored data covers, source by source: periods are compared only where data exists.

A file that starts in March makes every count before March zero; compared as if it were a real zero,
every trend was "up" (p = 0). A source covers the span from its first to its last stored incident, less
the gaps inside it: a run of days without any of its incidents that is at least GAP_DAYS long and that
its own rate would rarely leave empty (P < GAP_CHANCE for a Poisson stream at the source's mean daily
rate over the window) is an outage, not a quiet spell — an outside check compared a source that had no
data for 48 of 84 days (214 → 664) without a word. A sparse source (a unit with an event a week) may be
quiet for a fortnight; it is only left out when even its own rate makes the gap unlikely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.analysis.cache import ResultCache
from app.config import get_settings
from app.db import data_version, tenant

SPANS_CACHE = ResultCache(max_entries=4)
DAYS_CACHE = ResultCache(max_entries=16)
GAP_DAYS = 7
GAP_CHANCE = 0.001
# A source whose first incident falls this share of a period after the period's start still covers it
# (a sparse source's first event comes some days after it began to report).
SLACK_SHARE = 0.1


@dataclass(frozen=True)
class Span:
    first: datetime
    last: datetime


def source_spans(session: Session) -> dict[str, Span]:
    """First and last incident time per source, once per data version."""
    def fetch() -> dict[str, Span]:
        rows = session.execute(text("SELECT source, min(occurred_at), max(occurred_at) FROM incidents GROUP BY 1"))
        return {source: Span(first, last) for source, first, last in rows}

    spans: dict[str, Span] = SPANS_CACHE.get_or_compute(("spans", tenant(session), data_version(session)), fetch)
    return spans


def source_days(session: Session, start: datetime, end: datetime) -> dict[str, list[date]]:
    """The local days of [start, end) on which each source has any incident, once per data version."""
    def fetch() -> dict[str, list[date]]:
        rows = session.execute(text("""
            SELECT source, (occurred_at AT TIME ZONE :tz)::date AS day FROM incidents
            WHERE occurred_at >= :s AND occurred_at < :e GROUP BY 1, 2 ORDER BY 1, 2"""),
            {"s": start, "e": end, "tz": get_settings().timezone})
        out: dict[str, list[date]] = {}
        for source, day in rows:
            out.setdefault(source, []).append(day)
        return out

    days: dict[str, list[date]] = DAYS_CACHE.get_or_compute(
        ("days", tenant(session), data_version(session), start, end), fetch)
    return days


def longest_gap(days: list[date], start: date, end: date) -> int:
    """The longest run of days in [start, end) with none of `days` (sorted), the ends of the period included."""
    marks = [start - timedelta(days=1), *[d for d in days if start <= d < end], end]
    return max((b - a).days - 1 for a, b in pairwise(marks))


def gap_limit(active_days: int, window_days: int) -> float:
    """The shortest gap that counts as an outage for a source with data on `active_days` of `window_days`:
    at least GAP_DAYS, and long enough that its own daily chance of any event would leave it empty with
    probability below GAP_CHANCE."""
    share = min(max(active_days / max(window_days, 1), 1e-9), 1 - 1e-9)
    return max(GAP_DAYS, math.log(GAP_CHANCE) / math.log(1 - share))


def gaps(session: Session, periods: list[tuple[datetime, datetime]], sources: list[str]) -> dict[str, int]:
    """Each source's longest outage (days) inside any of `periods`, for the sources that have one."""
    if not periods:
        return {}
    tz = ZoneInfo(get_settings().timezone)
    first, last = min(p[0] for p in periods), max(p[1] for p in periods)
    seen = source_days(session, first, last)
    window_days = max((last - first).days, 1)
    out: dict[str, int] = {}
    for source in sources:
        days = seen.get(source, [])
        limit = gap_limit(len(days), window_days)
        for a, b in periods:
            gap = longest_gap(days, a.astimezone(tz).date(), b.astimezone(tz).date())
            if gap >= limit:
                out[source] = max(out.get(source, 0), gap)
    return out


def comparable_sources(session: Session, earlier: tuple[datetime, datetime], later: tuple[datetime, datetime],
                       sources: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Sources whose data spans the earlier period's start and reaches into the later period with no outage
    inside either period (`gaps`), and those left out of the comparison."""
    slack = (earlier[1] - earlier[0]) * SLACK_SHARE
    spans = source_spans(session)
    names = sorted(spans) if sources is None else [s for s in sorted(spans) if s in sources]
    keep = [s for s in names if spans[s].first <= earlier[0] + slack and spans[s].last >= later[0]]
    broken = gaps(session, [earlier, later], keep)
    keep = [s for s in keep if s not in broken]
    return keep, [s for s in names if s not in keep]


def covered_days(session: Session, start: datetime, end: datetime, sources: list[str] | None = None) -> float:
    """Days of [start, end) after the first stored incident of any (given) source; 0 when no source's data
    reaches into the period."""
    spans = [span for name, span in source_spans(session).items() if sources is None or name in sources]
    if not spans:
        return 0.0
    first = min(s.first for s in spans)
    last = max(s.last for s in spans)
    if last < start or first >= end:
        return 0.0
    lo = start if first <= start + (end - start) * SLACK_SHARE else first
    return max((end - lo).total_seconds(), 0.0) / 86_400.0
