"""Reading fields of free-form JSON bodies (interventions, walks, promises) with errors that name the field."""

from __future__ import annotations

from typing import Any

from app.errors import InvalidInput


def whole_number(body: dict[str, Any], field: str, *, default: int, low: int, high: int, unit: str = "") -> int:
    """An integer field within [low, high]; a missing or empty field is `default`."""
    value = body.get(field)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(f"{field} must be a whole number", loc=("body", field))
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field} must be a whole number, not {value!r}", loc=("body", field)) from None
    if not low <= number <= high:
        raise InvalidInput(f"{field} must be between {low} and {high}{unit}", loc=("body", field))
    return number


def optional_id(body: dict[str, Any], field: str) -> int | None:
    value = body.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be an id (a whole number)", loc=("body", field))
    return value


def text_list(body: dict[str, Any], field: str) -> list[str]:
    value = body.get(field) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{field} must be a list of texts, e.g. [\"narkotika\", \"vald\"]", loc=("body", field))
    return value
