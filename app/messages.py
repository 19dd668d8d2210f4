"""Error texts for the web pages in the page's language.

The API answers in English; a Swedish form shows Swedish. Domain errors carry their Swedish text
(`DomainError.sv`); pydantic's validation errors are worded here from their type and context, with
the form's own names for the fields.
"""

from __future__ import annotations

import re
from typing import Any

FIELDS_SV = {
    "occurred_at": "tidpunkt", "category": "kategori", "place_id": "plats", "description": "beskrivning",
    "text": "text", "summary": "sammanfattning", "organisation": "enhet", "period_start": "periodens början",
    "period_end": "periodens slut", "lon": "longitud", "lat": "latitud", "events": "händelser",
    "observations": "iakttagelser",
    # an import's row errors name these
    "time": "tid", "position": "position", "place": "plats", "row": "rad", "precision": "noggrannhet",
    "external_id": "id",
    # query parameters of the pages
    "start": "startdatum", "end": "slutdatum", "days": "antal dagar", "shifts": "pass", "half": "halvår",
    "zoom": "zoomnivå", "format": "format", "promise_id": "medborgarlöfte", "view": "karta",
    "history_days": "underlagets längd", "bbox": "kartutsnitt",
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
# value errors that name their field (app/times.py)
VALUE_ERRORS_FIELD_SV = {
    "give a date or datetime in ISO 8601, e.g. 2025-06-07 or 2025-06-07T19:30:00+02:00, not a number":
        "{field} ska vara datum och klockslag, till exempel 2025-06-07 21:30",
    "the year must lie between 1900 and 2200": "{field}: året ska ligga mellan 1900 och 2200",
}


def validation_error(error: dict[str, Any], language: str) -> str:
    """One pydantic error (from `ValidationError.errors()`) as a sentence in `language`."""
    english = str(error.get("msg", "")).removeprefix("Value error, ")
    if language != "sv":
        return english
    if error.get("type") == "value_error" and english not in VALUE_ERRORS_FIELD_SV:
        swedish = VALUE_ERRORS_SV.get(english) or row_reason(english, "sv")
        return swedish[:1].upper() + swedish[1:]
    template = VALUE_ERRORS_FIELD_SV.get(english) or TYPES_SV.get(str(error.get("type")))
    if template is None:
        return english
    names = [part for part in error.get("loc", ()) if isinstance(part, str) and part != "body"]
    field = FIELDS_SV.get(names[-1], names[-1]) if names else "värdet"
    try:
        text = template.format(field=field, **(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return english
    return text[0].upper() + text[1:]


# An import's row reasons (app/imports, geo/crs) as the import page shows them in Swedish: the reasons
# are written once in English for the API and the command line; these are the ones a file can cause.
ROW_REASONS_SV = [(re.compile(pattern), swedish) for pattern, swedish in (
    (r"^empty$", "tom"),
    (r"^unknown category (.+); allowed: (.+)$", r"okänd kategori \1; tillåtna: \2"),
    (r"^unknown place (.+)$", r"okänd plats \1"),
    (r"^(.+) names several places: (.+)$", r"\1 kan vara flera platser: \2; skriv hela namnet"),
    (r"^(.+) is not a number$", r"\1 är inte ett tal"),
    (r"^(.+) is not a finite number$", r"\1 är inte ett ändligt tal"),
    (r"^(.+) is not a coordinate \(use (.+) or (.+)\)$", r"\1 är inte en koordinat (skriv t.ex. \2 eller \3)"),
    (r"^(.+): minutes and seconds must be below 60$", r"\1: minuter och sekunder ska vara under 60"),
    (r"^(.+) lies in the future$", r"\1 ligger i framtiden"),
    (r"^(.+) is before 1990; check the date format$", r"\1 är före 1990; kontrollera datumformatet"),
    (r"^(.+) is not a date and time \(use e\.g\. (.+)\)$", r"\1 är inte en tidpunkt (skriv t.ex. \2)"),
    (r"^longer than (\d+) characters$", r"längre än \1 tecken"),
    (r"^has (\d+) fields, the header has (\d+)$", r"har \1 fält, rubrikraden har \2"),
    (r"^coordinates must be finite numbers$", "koordinaterna ska vara tal"),
    (r"^lon=(.+), lat=(.+) look swapped.*$", r"lon=\1, lat=\2 verkar omkastade: lon är öst (~15), lat är nord (~58)"),
    (r"^lon=(.+), lat=(.+) is not a valid WGS84 position$", r"lon=\1, lat=\2 är ingen giltig WGS84-position"),
    (r"^lon=(.+), lat=(.+) is outside the configured extent \((.+)\)$",
     r"positionen lon=\1, lat=\2 ligger utanför kommunen"),
    (r"^lon=(.+), lat=(.+) lies in no Swedish municipality$", r"positionen lon=\1, lat=\2 ligger inte i någon kommun"),
    (r"^lon=(.+), lat=(.+) lies in (.+) kommun, not in (.+)$",
     r"positionen lon=\1, lat=\2 ligger i \3 kommun, inte i \4"),
    (r"^lon=(.+), lat=(.+) lies in (.+) kommun, which this install does not serve$",
     r"positionen lon=\1, lat=\2 ligger i \3 kommun, som inte ingår här"),
    (r"^\((.+), (.+)\) are not coordinates in a Swedish grid.*$",
     r"(\1, \2) är inga koordinater i ett svenskt rutnät (SWEREF 99, RT90)"),
)]


def row_reason(reason: str, language: str) -> str:
    """An import row's reason in `language`; one without a Swedish wording stays in English."""
    if language == "sv":
        for pattern, swedish in ROW_REASONS_SV:
            if pattern.match(reason):
                return pattern.sub(swedish, reason)
    return reason
