"""The importer's bulk paths mean exactly what the one-value functions mean, and its fast COPY path keeps
the same dedupe and all-or-nothing rules as the careful one (#23)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.imports import service
from app.imports.service import ImportOptions, ImportRejected, run_import
from app.imports.values import (
    NO_TIME,
    UNIX_EPOCH,
    ValueProblem,
    parse_coordinate,
    parse_number,
    parse_numbers,
    parse_when,
    parse_when_many,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 6, 1, tzinfo=UTC)

NUMBER_TEXTS = st.one_of(
    st.from_regex(r"\A[-+]?\d{1,7}([.,]\d{0,8})?([eE][-+]?\d{1,3})?\Z"),
    st.from_regex(r"\A[-+ .,\d\u00a0'eEinfa_x°]{0,12}\Z"),
    st.sampled_from(["", "nan", "inf", "-inf", "1e999", "1_000", "6 467 123,5", "1.234,5", "1,234.5", "58°19′25″N",
                     "0x10", "５８", "1.5.2", ",5", "5,", "+-1"]),
)


def _one(function, value: str) -> float | str:  # type: ignore[no-untyped-def]
    try:
        return float(function(value))
    except ValueProblem as exc:
        return str(exc)


@settings(max_examples=400, deadline=None)
@given(st.lists(NUMBER_TEXTS, min_size=1, max_size=30))
def test_parse_numbers_agrees_with_parse_number_and_parse_coordinate(texts: list[str]) -> None:
    for one in (parse_number, parse_coordinate):
        values, problems = parse_numbers(texts, one)
        for k, t in enumerate(texts):
            expected = _one(one, t)
            got = problems[k] if k in problems else float(values[k])
            assert got == expected, (one.__name__, t)


TIME_TEXTS = st.one_of(
    st.builds(lambda y, mo, d, h, mi, s, sep, secs: f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}"
              + (f":{s:02d}" if secs else ""),
              st.integers(1985, 2030), st.integers(1, 13), st.integers(1, 31), st.integers(0, 24),
              st.integers(0, 60), st.integers(0, 60), st.sampled_from([" ", "T"]), st.booleans()),
    st.builds(lambda y, mo, d: f"{y:04d}-{mo:02d}-{d:02d}", st.integers(1985, 2030), st.integers(1, 12),
              st.integers(1, 31)),
    # the nights the clocks change, where a local time is ambiguous or does not exist
    st.builds(lambda d, h, m: f"{d} {h:02d}:{m:02d}", st.sampled_from(["2025-03-30", "2025-10-26", "2024-03-31",
                                                                     "2024-10-27"]),
              st.integers(1, 3), st.integers(0, 59)),
    st.sampled_from(["", "2025-06-07 21.30", "2025-06-07T21:30:00Z", "2025-06-07 21:30:00+02:00", "7 juni 2025",
                     "1749324600000", "2025-06-07 9:48", "2025-02-30 12:00", "45000", "2025-06-07 21:30:00.5"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(TIME_TEXTS, min_size=1, max_size=30), st.booleans())
def test_parse_when_many_agrees_with_parse_when(texts: list[str], with_clock: bool) -> None:
    if with_clock:  # a date column and a clock column, as many exports have them
        dates = [t.split(" ")[0].split("T")[0] for t in texts]
        clocks = [t[len(d):].strip(" T") for t, d in zip(texts, dates, strict=True)]
    else:
        dates, clocks = texts, None
    micros, problems = parse_when_many(dates, clocks, STOCKHOLM, NOW)
    for k in range(len(texts)):
        try:
            expected: datetime | str = parse_when(dates[k], clocks[k] if clocks else None, STOCKHOLM, NOW)
        except ValueProblem as exc:
            expected = str(exc)
        if isinstance(expected, str):
            assert problems.get(k) == expected and micros[k] == NO_TIME, texts[k]
        else:
            assert k not in problems and (expected - UNIX_EPOCH).total_seconds() * 1e6 == micros[k], texts[k]


def test_daylight_saving_nights_take_the_one_value_rule() -> None:
    # 02:30 on 30 March 2025 does not exist in Stockholm and 02:30 on 26 October 2025 happens twice;
    # both are read as parse_when reads them (the offset before the change), not dropped or shifted.
    micros, problems = parse_when_many(["2025-03-30 02:30", "2025-10-26 02:30", "2025-10-26 03:30"], None,
                                       STOCKHOLM, NOW)
    assert not problems
    got = [UNIX_EPOCH.timestamp() + m / 1e6 for m in micros]
    assert [datetime.fromtimestamp(t, UTC).strftime("%H:%M") for t in got] == ["01:30", "00:30", "02:30"]


def _csv(rows: list[str]) -> bytes:
    return ("tidpunkt;kategori;lat;lon;id\n" + "".join(rows)).encode()


def _row(i: int, ref: str | None = None) -> str:
    return f"2025-05-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d};vald;58,{320000 + i % 9000};15,{130000 + i % 9000};" \
           f"{ref or f'B-{i}'}\n"


def _watch_paths(monkeypatch) -> list[bool]:  # type: ignore[no-untyped-def]
    """Whether each import's writer still used the direct COPY into incidents at its end."""
    seen: list[bool] = []
    original = service._ChunkWriter.close

    def close(self: service._ChunkWriter) -> None:
        original(self)
        seen.append(self.direct)

    monkeypatch.setattr(service._ChunkWriter, "close", close)
    return seen


def _count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM incidents")).scalar_one())


def test_a_duplicate_within_the_file_across_batches_keeps_the_first(session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(service._ChunkWriter, "BATCH_ROWS", 50)
    paths = _watch_paths(monkeypatch)
    rows = [_row(i) for i in range(300)]
    rows[250] = _row(250, ref="B-10")  # the same key as row 10, in a later batch: the fast COPY must give way
    report = run_import(session, io.BytesIO(_csv(rows)), ImportOptions(filename="d.csv"))
    assert (report.inserted, report.duplicates) == (299, 1)
    assert paths == [False]  # the unique key fired in the fifth batch and the careful path took over
    first = session.execute(text("SELECT occurred_at FROM incidents WHERE external_id = 'B-10'")).scalar_one()
    assert first.astimezone(STOCKHOLM).strftime("%m-%d %H:%M") == "05-11 10:10"


def test_rows_already_stored_are_skipped_and_the_rest_still_go_in(session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(service._ChunkWriter, "BATCH_ROWS", 40)
    paths = _watch_paths(monkeypatch)
    first = run_import(session, io.BytesIO(_csv([_row(i) for i in range(100)])), ImportOptions(filename="a.csv"))
    assert first.inserted == 100
    again = run_import(session, io.BytesIO(_csv([_row(i) for i in range(50, 200)])), ImportOptions(filename="b.csv"))
    assert (again.inserted, again.duplicates, _count(session)) == (100, 50, 200)
    dry = run_import(session, io.BytesIO(_csv([_row(i) for i in range(150, 260)])),
                     ImportOptions(filename="c.csv", dry_run=True))
    assert (dry.valid, dry.duplicates, _count(session)) == (110, 50, 200)
    assert paths == [True, True, False]  # stored keys were looked up, so the second import stayed on COPY


def test_a_bad_row_after_many_batches_rolls_back_every_batch(session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(service._ChunkWriter, "BATCH_ROWS", 30)
    rows = [_row(i) for i in range(400)]
    rows.append("2025-05-02 12:00;vald;58,32;;B-last\n")
    with pytest.raises(ImportRejected) as caught:
        run_import(session, io.BytesIO(_csv(rows)), ImportOptions(filename="e.csv"))
    assert caught.value.report.errors[0].row == 402
    assert _count(session) == 0
    assert session.execute(text("SELECT count(*) FROM import_batches")).scalar_one() == 0


def test_bulk_and_row_checks_give_the_same_errors_in_row_order(session: Session) -> None:
    content = ("tidpunkt;kategori;lat;lon;plats;id\n"
               "2025-06-07 21:30;okänd;58,32;15,13;\n"          # unknown category
               ";vald;58,32;;\n"                                 # empty time, and a missing longitude
               "2099-01-01 00:00;vald;15,13;58,32;\n"             # future, swapped coordinates after it
               "2025-06-07 21:30;vald;;;Stora torget\n"           # a name two places share
               "2025-06-07 21:30;vald;58,32;15,13;\n"             # fine
               f"2025-06-07 21:30;vald;58,32;15,13;;{'x' * 201}\n")  # an id longer than the column
    with pytest.raises(ImportRejected) as caught:
        run_import(session, io.BytesIO(content.encode()), ImportOptions(filename="f.csv"))
    errors = [(e.row, e.field) for e in caught.value.report.errors]
    assert errors == [(2, "category"), (3, "time"), (3, "position"), (4, "time"), (5, "place"), (7, "external_id")]
    assert "lies in the future" in caught.value.report.errors[3].reason
    assert "Skänninge" in caught.value.report.errors[4].reason
    assert np.all([e.reason for e in caught.value.report.errors])
