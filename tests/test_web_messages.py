"""Form errors in the page's language: pydantic's validation errors worded in Swedish from their type."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.errors import InvalidInput
from app.reports.schemas import UnitReportIn
from app.web.messages import validation_error


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
    assert exc.detail() == [{"loc": [], "msg": "walked_on is in the future", "type": "value_error"}]  # API: English
