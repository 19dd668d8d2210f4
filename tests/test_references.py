"""Incidents' references (category, source, place, import batch), enforced per statement since
migration 0011: the same rules the foreign keys had, checked against the real database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

INSERT = """INSERT INTO incidents (geom, category, occurred_at, source, location_precision, place_id)
            VALUES (ST_SetSRID(ST_MakePoint(15.13, 58.323), 4326), :c, '2025-01-01T20:00Z', :s, 'exact', :p)"""


def _insert(session: Session, category: str = "vald", source: str = "polisen", place: int | None = None) -> None:
    session.execute(text(INSERT), {"c": category, "s": source, "p": place})


@pytest.mark.parametrize(("values", "message"), [
    ({"category": "finns-inte"}, "category finns-inte does not exist"),
    ({"source": "okand"}, "source organisation okand does not exist"),
    ({"place": 9999}, "place 9999 does not exist"),
])
def test_a_missing_reference_refuses_the_whole_statement(session: Session, values: dict, message: str) -> None:  # type: ignore[type-arg]
    _insert(session)
    with pytest.raises(IntegrityError, match=message):
        _insert(session, **values)
    session.rollback()
    assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 0


def test_a_bad_row_in_a_bulk_insert_refuses_all_rows(session: Session) -> None:
    with pytest.raises(IntegrityError, match="category nope"):
        session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
            SELECT ST_SetSRID(ST_MakePoint(15.13, 58.323), 4326), CASE WHEN g = 500 THEN 'nope' ELSE 'vald' END,
                   '2025-01-01T20:00Z', 'polisen', 'exact' FROM generate_series(1, 1000) g"""))
    session.rollback()
    assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 0


def test_updates_are_checked_and_renames_cascade(session: Session) -> None:
    _insert(session)
    session.commit()
    with pytest.raises(IntegrityError, match="category nope"):
        session.execute(text("UPDATE incidents SET category = 'nope'"))
    session.rollback()
    session.execute(text("UPDATE categories SET code = 'vald_ny' WHERE code = 'vald'"))
    assert session.execute(text("SELECT category FROM incidents")).scalar() == "vald_ny"
    session.rollback()


def test_used_categories_and_organisations_cannot_be_deleted(session: Session) -> None:
    _insert(session)
    session.commit()
    with pytest.raises(IntegrityError, match="categories vald is still used by incidents"):
        session.execute(text("DELETE FROM categories WHERE code = 'vald'"))
    session.rollback()
    with pytest.raises(IntegrityError, match="organisations polisen is still used by incidents"):
        session.execute(text("DELETE FROM organisations WHERE code = 'polisen'"))
    session.rollback()


def test_deleting_a_place_keeps_its_incidents_without_the_link(session: Session) -> None:
    _insert(session, place=1)
    session.commit()
    session.execute(text("DELETE FROM places WHERE id = 1"))
    session.commit()
    assert session.execute(text("SELECT count(*), count(place_id) FROM incidents")).one() == (1, 0)
