"""Error texts for the web pages in the page's language.

The API answers in English; a Swedish form shows Swedish. Domain errors carry their Swedish text
(`DomainError.sv`); pydantic's validation errors are worded here from their type and context, with
the form's own names for the fields.
"""

from __future__ import annotations

from typing import Any

FIELDS_SV = {
    "occurred_at": "tidpunkt", "category": "kategori", "place_id": "plats", "description": "beskrivning",
    "text": "text", "summary": "sammanfattning", "organisation": "enhet", "period_start": "periodens början",
    "period_end": "periodens slut", "lon": "longitud", "lat": "latitud", "events": "händelser",
    "observations": "iakttagelser",
}
# pydantic error type → Swedish, with the field's Swedish name as {field} and the error's ctx values
TYPES_SV = {
    "missing": "{field} saknas",
    "string_too_short": "{field} får inte vara tom",
    "string_too_long": "{field} får vara högst {max_length} tecken",
    "string_type": "{field} ska vara text",
    "int_parsing": "{field} ska vara ett heltal",
    "int_type": "{field} ska vara ett heltal",
    "float_parsing": "{field} ska vara ett tal",
    "date_from_datetime_parsing": "{field} ska vara ett datum, till exempel 2025-06-01",
    "date_parsing": "{field} ska vara ett datum, till exempel 2025-06-01",
    "datetime_from_date_parsing": "{field} ska vara datum och klockslag, till exempel 2025-06-07 21:30",
    "datetime_parsing": "{field} ska vara datum och klockslag, till exempel 2025-06-07 21:30",
    "datetime_type": "{field} ska vara datum och klockslag, till exempel 2025-06-07 21:30",
    "timezone_aware": "{field} saknar tidszon",
    "greater_than_equal": "{field} ska vara minst {ge}",
    "less_than_equal": "{field} får vara högst {le}",
    "literal_error": "{field} ska vara en av: {expected}",
    "extra_forbidden": "fältet {field} är okänt",
    "too_long": "{field}: högst {max_length} rader",
}
# Model-level checks written in English in the schemas, and their Swedish
VALUE_ERRORS_SV = {
    "give lon/lat or a place_id for where it happened": "ange en plats eller en position för var det hände",
}


def validation_error(error: dict[str, Any], language: str) -> str:
    """One pydantic error (from `ValidationError.errors()`) as a sentence in `language`."""
    english = str(error.get("msg", "")).removeprefix("Value error, ")
    if language != "sv":
        return english
    if error.get("type") == "value_error":
        return VALUE_ERRORS_SV.get(english, english)[:1].upper() + VALUE_ERRORS_SV.get(english, english)[1:]
    template = TYPES_SV.get(str(error.get("type")))
    if template is None:
        return english
    names = [part for part in error.get("loc", ()) if isinstance(part, str) and part != "body"]
    field = FIELDS_SV.get(names[-1], names[-1]) if names else "värdet"
    try:
        text = template.format(field=field, **(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return english
    return text[0].upper() + text[1:]
