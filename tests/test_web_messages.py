"""Form errors in the page's language: pydantic's validation errors worded in Swedish from their type."""

from __future__ import annotations

import io

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.imports.service import ImportOptions, run_import
from app.messages import row_reason, validation_error
from app.reports.schemas import UnitReportIn


def _errors(body: dict[str, object]) -> list[dict[str, object]]:
    with pytest.raises(ValidationError) as caught:
        UnitReportIn.model_validate(body)
    return [dict(e) for e in caught.value.errors()]


def test_validation_errors_read_in_swedish_and_stay_english_for_english_pages() -> None:
    errors = _errors({"events": [{"category": "vald", "place_id": 1},
                                 {"occurred_at": "i går kväll", "category": "vald", "place_id": 1},
                                 {"occurred_at": "2025-06-07T21:30:00+02:00", "category": "vald", "place_id": 1,
                                  "description": "x" * 2001}]})
    swedish = [validation_error(e, "sv") for e in errors]
    assert swedish == ["Tidpunkt saknas",
                       "Tidpunkt ska vara datum och klockslag, till exempel 2025-06-07 21:30",
                       "Beskrivning får vara högst 2000 tecken"]
    assert validation_error(errors[0], "en") == "Field required"


def test_unknown_error_types_fall_back_to_the_english_text() -> None:
    error = {"type": "some_new_pydantic_type", "loc": ("body", "x"), "msg": "something odd"}
    assert validation_error(error, "sv") == "something odd"


def test_domain_errors_carry_both_languages() -> None:
    exc = InvalidInput("walked_on is in the future", sv="Vandringens datum ligger i framtiden.")
    assert exc.text("sv") == "Vandringens datum ligger i framtiden." and exc.text("en") == exc.msg
    assert InvalidInput("only English").text("sv") == "only English"
    assert exc.detail() == [{"loc": [], "msg": "walked_on is in the future", "type": "value_error",  # API: English
                             "msg_sv": "Vandringens datum ligger i framtiden."}]  # and the pages' scripts' Swedish
    assert "msg_sv" not in InvalidInput("only English").detail()[0]


def test_every_row_reason_a_messy_file_causes_reads_in_swedish(session: Session) -> None:
    """The reasons come from the real import engine, so a reworded English reason fails here."""
    content = ("tidpunkt;kategori;lat;lon;plats;beskrivning\n"
               ";vald;58,32;15,13;;\n"                                  # empty time
               "2025-06-07 21:30;tjuvjakt;58,32;15,13;;\n"              # unknown category
               "igår;vald;58,32;15,13;;\n"                              # not a date and time
               "2035-06-07 21:30;vald;58,32;15,13;;\n"                  # in the future
               "1985-06-07 21:30;vald;58,32;15,13;;\n"                  # before 1990
               "2025-06-07 21:30;vald;norr;15,13;;\n"                   # not a coordinate
               "2025-06-07 21:30;vald;15,13;58,32;;\n"                  # swapped
               "2025-06-07 21:30;vald;59,33;18,06;;\n"                  # outside (Stockholm)
               "2025-06-07 21:30;vald;58,32;15,13;Ingenstans;\n"        # unknown place
               "2025-06-07 21:30;vald;58,32;15,13;Stora torget;\n"      # a name two places share
               f"2025-06-07 21:30;vald;58,32;15,13;;{'x' * 5001}\n"      # too long
               "2025-06-07 21:30;vald;58,32;15,13;;;extra;fält\n")      # too many fields
    report = run_import(session, io.BytesIO(content.encode()), ImportOptions(filename="f.csv", dry_run=True))
    assert len(report.errors) == 12, [(e.row, e.field) for e in report.errors]
    for error in report.errors:
        swedish = row_reason(error.reason, "sv")
        assert swedish != error.reason or error.reason == "empty", error.reason
        assert row_reason(error.reason, "en") == error.reason
    assert row_reason("empty", "sv") == "tom"
