"""ESM-cycle pages: the units' report form with who has not reported, and the citizen-promise follow-up."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
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
from app.messages import validation_error
from app.places.lookup import resolve_where, where_names
from app.reference.service import categories as list_categories
from app.reports import service as reports
from app.reports.schemas import UnitReportIn
from app.web.deps import (
    csrf_refused,
    map_centre,
    organisation_choices,
    page_language,
    page_user,
    refuse,
    render_page,
    sheet,
)

router = APIRouter(include_in_schema=False)
FORM_ROWS = 3      # empty event and observation rows offered besides the saved ones
MAX_ROWS = 60      # rows read from one posted form (bounded cost)


def _form_context(session: SessionDep, principal: Principal, day: date,
                  values: dict[str, Any] | None = None) -> dict[str, Any]:
    status = reports.status(session, day)
    period = status["period"]
    own = principal.organisation if principal.role is Role.reporter else None
    listed = reports.get_all(session, principal, start=period["start"], end=period["end"])
    existing = next((r for r in listed if r["period_start"] == period["start"].isoformat()), None) if own else None
    units = organisation_choices(session, "reporting")
    places = session.execute(text("SELECT id, name FROM places ORDER BY name")).all()
    own_name = next((name for code, name in units if code == own), own)
    if values is None:
        values = _values_from_report(existing, {pid: name for pid, name in places})
    # the period just ended stays open until the meeting that reads it: a unit files for it on the day a new
    # period begins (#35); the current one is open too
    today = date.today()
    ended_start, ended_end = reports.period_for(reports.period_for(today)[0] - timedelta(days=1))
    current_start, current_end = reports.period_for(today)
    choices = [{"start": ended_start, "end": ended_end, "ended": True},
               {"start": current_start, "end": current_end, "ended": False}]
    return {"status": status, "period": period, "own": own, "period_choices": choices,
            "own_name": own_name, "existing": existing, "units": units,
            "places": places, "categories": list_categories(session), "values": values,
            "where_names": where_names(session), "tile_url": get_settings().tile_url,
            "can_write": allowed(principal.role, "reports:write") and not (principal.role is Role.reporter and not own),
            "no_unit": principal.role is Role.reporter and not own, "reports": listed}


def _blank_event() -> dict[str, Any]:
    return {"time": "", "category": "", "where": "", "lon": "", "lat": "", "precision": "", "description": "",
            "saved": False, "position_text": ""}


def _values_from_report(existing: dict[str, Any] | None, place_names: dict[int, str]) -> dict[str, Any]:
    """The saved report as the form shows it: every saved event in its own editable row, then empty rows."""
    tz = ZoneInfo(get_settings().timezone)
    events, observations = [], []
    for e in (existing or {}).get("events", []):
        when = datetime.fromisoformat(str(e["occurred_at"])).astimezone(tz).strftime("%Y-%m-%dT%H:%M")
        by_place = e["location_precision"] == "place" and e["place_id"] is not None
        events.append({**_blank_event(), "time": when, "category": e["category"], "saved": True,
                       "where": place_names.get(e["place_id"], "") if by_place else "",
                       "lon": "" if by_place else f"{e['lon']:.6f}", "lat": "" if by_place else f"{e['lat']:.6f}",
                       "precision": "" if by_place else e["location_precision"],
                       "position_text": "" if by_place else "Position vald", "description": e["description"] or ""})
    for o in (existing or {}).get("observations", []):
        observations.append({"place": str(o["place_id"] or ""), "text": o["text"]})
    return {"organisation": (existing or {}).get("organisation", ""), "summary": (existing or {}).get("summary") or "",
            "events": events + [_blank_event() for _ in range(FORM_ROWS)],
            "observations": observations + [{"place": "", "text": ""} for _ in range(FORM_ROWS)]}


def _values_from_form(form: Any) -> dict[str, Any]:
    """What was typed, exactly, so a refused form comes back whole."""
    def get(name: str) -> str:
        return str(form.get(name) or "")

    events = []
    for n in range(MAX_ROWS):
        if f"event_time_{n}" not in form:
            break
        lon, lat = get(f"event_lon_{n}"), get(f"event_lat_{n}")
        events.append({"time": get(f"event_time_{n}"), "category": get(f"event_category_{n}"),
                       "where": get(f"event_where_{n}").strip(), "lon": lon, "lat": lat,
                       "precision": get(f"event_precision_{n}"), "description": get(f"event_description_{n}").strip(),
                       "saved": False, "position_text": "Position vald" if lon and lat else ""})
    observations = []
    for n in range(MAX_ROWS):
        if f"observation_text_{n}" not in form:
            break
        observations.append({"place": get(f"observation_place_{n}"), "text": get(f"observation_text_{n}").strip()})
    return {"organisation": get("organisation"), "summary": get("summary"),
            "events": events or [_blank_event()], "observations": observations or [{"place": "", "text": ""}]}


@router.get("/rapporter", dependencies=[audit_read("unit_reports")], response_class=HTMLResponse)
def reports_page(request: Request, session: SessionDep, dag: str | None = None) -> Response:
    principal = page_user(request, session)
    if principal is None:
        return refuse(request, "/rapporter")
    day = _day(dag)
    return render_page(request, "unit_reports.html", principal, errors=[],
                       map_centre=map_centre(session), row_errors={}, saved=None,
                       **_form_context(session, principal, day))


@router.post("/rapporter", response_class=HTMLResponse)
async def file_report(request: Request, session: SessionDep) -> Response:
    principal = await run_in_threadpool(page_user, request, session)
    if principal is None:
        return refuse(request, "/rapporter")
    form = await request.form()
    return await run_in_threadpool(_file_report, request, session, principal, form)


def _file_report(request: Request, session: SessionDep, principal: Principal, form: Any) -> Response:
    """Form rows → the same validated body the API takes. On any error nothing is stored, the form comes
    back exactly as typed, and each message stands beside its row, in Swedish."""
    if not csrf_matches(principal, str(form.get("csrf") or "")):
        return csrf_refused()
    if not allowed(principal.role, "reports:write"):
        return Response(f"Rollen {principal.role.value} får inte lämna enhetsrapporter.", status_code=403)
    tz = ZoneInfo(get_settings().timezone)
    language = page_language(request)
    values = _values_from_form(form)
    events: list[tuple[int, dict[str, Any]]] = []
    observations: list[dict[str, Any]] = []
    row_errors: dict[tuple[str, int], list[str]] = {}
    for n, row in enumerate(values["events"]):
        if not any(row[k] for k in ("time", "category", "where", "lon", "description")):
            continue
        try:
            moment = datetime.fromisoformat(row["time"]).replace(tzinfo=tz).isoformat() if row["time"] else ""
        except ValueError:
            moment = row["time"]
        event: dict[str, Any] = {"occurred_at": moment, "category": row["category"],
                                 "description": row["description"] or None}
        if row["lon"] and row["lat"]:
            try:
                precision = row["precision"] if row["precision"] in ("exact", "street") else "exact"
                event.update(lon=float(row["lon"]), lat=float(row["lat"]), location_precision=precision)
            except ValueError:
                row_errors[("events", len(events))] = ["Positionen kunde inte läsas; välj den igen."]
        elif row["where"]:
            found = resolve_where(session, row["where"])
            if found is None:
                row_errors[("events", len(events))] = [
                    f"Hittar ingen plats eller gata som heter ”{row['where']}”; välj ett namn i listan, "
                    "tryck på kartan eller använd din position."]
            else:
                event.update(found)
        events.append((n, event))
    obs_rows: dict[int, int] = {}
    for n, row in enumerate(values["observations"]):
        if row["text"]:
            obs_rows[len(observations)] = n
            observations.append({"place_id": _place_id(row["place"]), "text": row["text"]})
    errors: list[str] = []
    saved = None
    rows_of = {"events": {k: n for k, (n, _) in enumerate(events)}, "observations": obs_rows}  # API index → form row
    form_row = rows_of["events"]
    shown: dict[tuple[str, int], list[str]] = {("events", form_row[k]): v for (_, k), v in row_errors.items()}
    try:
        if shown:
            raise _Refused
        body = UnitReportIn.model_validate({
            "organisation": str(form.get("organisation") or "") or None,
            "period_start": str(form.get("period_start") or "") or None,
            "summary": values["summary"].strip() or None, "events": [e for _, e in events],
            "observations": observations})
        saved = reports.save(session, body, principal)
    except _Refused:
        pass
    except ValidationError as exc:
        for e in exc.errors():
            _place_error(shown, e["loc"], validation_error(dict(e), language), rows_of)
    except DomainError as exc:
        session.rollback()
        _place_error(shown, exc.loc, exc.text(language), rows_of)
    for (kind, n), messages in sorted(shown.items(), key=lambda kv: (kv[0][0] != "", kv[0])):
        prefix = "" if kind == "" else _row_label(("body", kind, n), language)
        errors.extend(prefix + m for m in messages)
    day = _day(str(form.get("period_start") or "") or None)
    context = _form_context(session, principal, day, values if errors else None)  # refused: as typed
    page = render_page(request, "unit_reports.html", principal, errors=errors,
                       map_centre=map_centre(session), saved=saved,
                       row_errors={k: v for k, v in shown.items() if k[0]}, **context)
    if errors:
        page.status_code = 422
    return page


class _Refused(Exception):
    """A row was already refused before validation (an unknown place name)."""


def _place_error(shown: dict[tuple[str, int], list[str]], loc: Any, message: str,
                 rows_of: dict[str, dict[int, int]]) -> None:
    """File an error under the form row it is about, or under the form as a whole."""
    parts = [p for p in loc if p != "body"]
    if len(parts) >= 2 and parts[0] in ("events", "observations") and isinstance(parts[1], int):
        n = rows_of[str(parts[0])].get(parts[1], parts[1])
        shown.setdefault((str(parts[0]), n), []).append(message)
    else:
        shown.setdefault(("", 0), []).append(message)


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
