"""ESM-cycle pages: the units' report form with who has not reported, and the citizen-promise follow-up."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from app.auth.roles import Role, allowed
from app.auth.service import Principal
from app.auth.sessions import csrf_matches
from app.config import get_settings
from app.deps import SessionDep, audit_read
from app.errors import DomainError
from app.reference.service import categories as list_categories
from app.reports import service as reports
from app.reports.schemas import UnitReportIn
from app.web.deps import csrf_refused, organisation_choices, page_language, page_user, refuse, render_page, sheet
from app.web.messages import validation_error

router = APIRouter(include_in_schema=False)
FORM_ROWS = 6


def _form_context(session: SessionDep, principal: Principal, day: date) -> dict[str, Any]:
    status = reports.status(session, day)
    period = status["period"]
    own = principal.organisation if principal.role is Role.reporter else None
    listed = reports.get_all(session, principal, start=period["start"], end=period["end"])
    existing = next((r for r in listed if r["period_start"] == period["start"].isoformat()), None) if own else None
    units = organisation_choices(session, "reporting")
    places = session.execute(text("SELECT id, name FROM places ORDER BY name")).all()
    own_name = next((name for code, name in units if code == own), own)
    return {"status": status, "period": period, "own": own, "own_name": own_name, "existing": existing, "units": units,
            "places": places, "categories": list_categories(session), "rows": FORM_ROWS,
            "can_write": allowed(principal.role, "reports:write"),
            "reports": listed}


@router.get("/rapporter", dependencies=[audit_read("unit_reports")], response_class=HTMLResponse)
def reports_page(request: Request, session: SessionDep, dag: str | None = None) -> Response:
    principal = page_user(request, session)
    if principal is None:
        return refuse(request, "/rapporter")
    day = _day(dag)
    return render_page(request, "unit_reports.html", principal, errors=[], saved=None,
                 **_form_context(session, principal, day))


@router.post("/rapporter", response_class=HTMLResponse)
async def file_report(request: Request, session: SessionDep) -> Response:
    principal = await run_in_threadpool(page_user, request, session)
    if principal is None:
        return refuse(request, "/rapporter")
    form = await request.form()
    return await run_in_threadpool(_file_report, request, session, principal, form)


def _file_report(request: Request, session: SessionDep, principal: Principal, form: Any) -> Response:
    """Form rows → the same validated body the API takes; errors are shown next to the form, in Swedish."""
    if not csrf_matches(principal, str(form.get("csrf") or "")):
        return csrf_refused()
    if not allowed(principal.role, "reports:write"):
        return Response(f"Rollen {principal.role.value} får inte lämna enhetsrapporter.", status_code=403)
    tz = ZoneInfo(get_settings().timezone)
    events, observations = [], []
    for n in range(FORM_ROWS):
        when, category = str(form.get(f"event_time_{n}") or ""), str(form.get(f"event_category_{n}") or "")
        place = str(form.get(f"event_place_{n}") or "")
        if when or place:
            try:
                moment = datetime.fromisoformat(when).replace(tzinfo=tz).isoformat() if when else ""
            except ValueError:
                moment = when
            events.append({"occurred_at": moment, "category": category, "place_id": _place_id(place),
                           "description": str(form.get(f"event_description_{n}") or "") or None})
        note = str(form.get(f"observation_text_{n}") or "").strip()
        if note:
            obs_place = str(form.get(f"observation_place_{n}") or "")
            observations.append({"place_id": _place_id(obs_place), "text": note})
    errors: list[str] = []
    saved = None
    language = page_language(request)
    try:
        body = UnitReportIn.model_validate({
            "organisation": str(form.get("organisation") or "") or None,
            "period_start": str(form.get("period_start") or "") or None,
            "summary": str(form.get("summary") or "") or None, "events": events, "observations": observations})
        saved = reports.save(session, body, principal)
    except ValidationError as exc:
        errors = [_row_label(e["loc"], language) + validation_error(dict(e), language) for e in exc.errors()]
    except DomainError as exc:
        errors = [_row_label(exc.loc, language) + exc.text(language)]
    context = _form_context(session, principal, _day(str(form.get("period_start") or "") or None))
    page = render_page(request, "unit_reports.html", principal, errors=errors, saved=saved, **context)
    if errors:
        page.status_code = 422
    return page


def _place_id(value: str) -> int | str | None:
    """The select's place id; anything else goes on to validation, which names the field."""
    return int(value) if value.isdigit() else (value or None)


def _row_label(loc: Any, language: str) -> str:
    """'Händelse 2: ' for an error in the form's second event row (the API's loc counts from 0)."""
    parts = [p for p in loc if p != "body"]
    if len(parts) >= 2 and parts[0] in ("events", "observations") and isinstance(parts[1], int):
        words = {"events": ("Händelse", "Event"), "observations": ("Iakttagelse", "Observation")}[str(parts[0])]
        return f"{words[language != 'sv']} {parts[1] + 1}: "
    return ""


def _day(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else date.today()
    except ValueError:
        return date.today()


@router.get("/medborgarloften/{promise_id}", response_class=HTMLResponse)
def promise_follow_up(request: Request, session: SessionDep, promise_id: int, half: str | None = None,
                      format: str | None = None) -> Response:
    """The twice-yearly follow-up of a citizen promise, printable and as PDF."""
    from app.maps.charts import monthly_bars
    from app.promises import service as promises

    principal = page_user(request, session)
    if principal is None or not allowed(principal.role, "promises:read"):
        return refuse(request, f"/medborgarloften/{promise_id}")
    follow = promises.follow_up(session, promise_id, half)
    chart = monthly_bars(follow["months"]["labels"], follow["months"]["current"], follow["months"]["year_before"])
    return sheet(request, "promise_follow_up.html", format, f"medborgarlofte-{promise_id}-{follow['half']}",
                  f=follow, chart=chart, today=datetime.combine(date.today(), time(0)))
