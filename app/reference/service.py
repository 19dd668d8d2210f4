"""Look-ups of categories and organisations, matched the way people type them."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.reference.models import Category, Organisation
from app.reference.schemas import CategoryOut, OrganisationOut


def categories(session: Session) -> list[CategoryOut]:
    """Every category in display order."""
    rows = session.scalars(select(Category).order_by(Category.sort_order, Category.code))
    return [CategoryOut(code=c.code, label_sv=c.label_sv, label_en=c.label_en, group=c.group_code, color=c.color,
                        near_repeat=c.near_repeat) for c in rows]


def organisations(session: Session, *, reporting_only: bool = False) -> list[OrganisationOut]:
    """Every organisation by code; `reporting_only`: the units that file a report each period."""
    query = select(Organisation).order_by(Organisation.code)
    if reporting_only:
        query = query.where(Organisation.reports.is_(True))
    return [OrganisationOut.model_validate(o) for o in session.scalars(query)]


def normalise(text: str) -> str:
    """Case- and accent-insensitive key: 'Skadegörelse' → 'skadegorelse', 'Stöld/inbrott' → 'stold inbrott'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("_", " ").replace("-", " ").replace("/", " ").split())


def category_lookup(session: Session) -> dict[str, str]:
    """Map from every normalised code, Swedish and English label to the category code; then the
    synonyms in data/category_synonyms.json and the police event types (e.g. 'Misshandel' → vald)."""
    from sqlalchemy import text

    lookup: dict[str, str] = {}
    codes = set()
    for cat in session.scalars(select(Category)):
        codes.add(cat.code)
        for name in (cat.code, cat.label_sv, cat.label_en):
            lookup.setdefault(normalise(name), cat.code)
    for word, code in _synonyms().items():
        if code in codes:
            lookup.setdefault(normalise(word), code)
    for police_type, code in session.execute(text(
            "SELECT type, category FROM police_event_types WHERE category IS NOT NULL")).all():
        lookup.setdefault(normalise(police_type), code)
    return lookup


@lru_cache
def _synonyms() -> dict[str, str]:
    import json

    from app.paths import DATA

    path = DATA / "category_synonyms.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return {k: v for k, v in data.items() if not k.startswith("_")}


def resolve_category(lookup: dict[str, str], value: str, loc: tuple[str | int, ...]) -> str:
    code = lookup.get(normalise(value))
    if code is None:
        allowed = sorted(set(lookup.values()))
        raise InvalidInput(f"unknown category {value!r}; allowed: {', '.join(allowed)}", loc=loc,
                           sv=f"Okänd kategori {value!r}; välj en i listan.")
    return code


def resolve_categories(session: Session, values: list[str], loc: tuple[str | int, ...]) -> list[str]:
    lookup = category_lookup(session)
    return [resolve_category(lookup, v, loc) for v in values]


def organisation_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Organisation.code)))


def check_organisation(session: Session, code: str, loc: tuple[str | int, ...]) -> str:
    codes = organisation_codes(session)
    if code not in codes:
        raise InvalidInput(f"unknown source organisation {code!r}; allowed: {', '.join(sorted(codes))}", loc=loc,
                           sv=f"Okänd enhet {code!r}; välj en i listan.")
    return code
