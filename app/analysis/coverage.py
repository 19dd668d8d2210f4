"""What time the stored data covers, source by source: periods are compared only where data exists.

A file that starts in March makes every count before March zero; compared as if it were a real zero,
every trend was "up" (p = 0). A source covers the span from its first to its last stored incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.analysis.cache import ResultCache
from app.db import data_version, tenant

SPANS_CACHE = ResultCache(max_entries=4)
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


def comparable_sources(session: Session, earlier: tuple[datetime, datetime], later: tuple[datetime, datetime],
                       sources: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Sources whose data spans the earlier period's start and reaches into the later period, and those
    left out of the comparison (they started later or stopped earlier)."""
    slack = (earlier[1] - earlier[0]) * SLACK_SHARE
    spans = source_spans(session)
    names = sorted(spans) if sources is None else [s for s in sorted(spans) if s in sources]
    keep = [s for s in names if spans[s].first <= earlier[0] + slack and spans[s].last >= later[0]]
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
