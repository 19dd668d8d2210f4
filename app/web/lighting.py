"""Lighting on the web: technical services move cases through their steps (confirm, schedule, fix,
reject) with a note and the history beside them; anyone, signed in or not, reports a dark place or a
broken lamp on /felanmalan, stored through the same path as Open311 requests."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from app.auth.roles import allowed
from app.auth.service import Principal
from app.auth.sessions import csrf_matches
from app.config import get_settings
from app.deps import SessionDep, audit_read
from app.errors import DomainError, InvalidInput
from app.i18n import labels
from app.lighting import service as lighting
from app.places.lookup import resolve_where, where_names
from app.web.deps import (
    csrf_refused,
    map_centre,
    page_language,
    page_user,
    public_municipality,
    refuse,
    render_page,
)

router = APIRouter(include_in_schema=False)
CASES = "/belysning/arenden"
PUBLIC_FORM = "/felanmalan"
CLOSED_SHOWN_DAYS = 30


def _cases(session: SessionDep) -> list[dict[str, Any]]:
    rows = session.execute(text("""
        SELECT r.id, r.kind, r.status, COALESCE(r.description, ''), r.reported_by, r.created_at,
               COALESCE(s.street, ''), l.external_id, ST_Y(r.geom), ST_X(r.geom),
               COALESCE((SELECT json_agg(json_build_object('to', e.to_status, 'by', e.changed_by, 'note', e.note,
                                                           'at', e.changed_at) ORDER BY e.changed_at, e.id)
                         FROM lighting_report_events e WHERE e.report_id = r.id), '[]'::json)
        FROM lighting_reports r LEFT JOIN street_segments s ON s.id = r.segment_id
             LEFT JOIN lamps l ON l.id = r.lamp_id
        WHERE r.status NOT IN ('fixed', 'rejected') OR r.updated_at > now() - make_interval(days => :d)
        ORDER BY r.status IN ('fixed', 'rejected'), r.created_at LIMIT 300"""), {"d": CLOSED_SHOWN_DAYS}).all()
    return [{"id": r[0], "kind": r[1], "status": r[2], "description": r[3], "reported_by": r[4], "created": r[5],
             "street": r[6], "lamp": r[7], "lat": r[8], "lon": r[9], "history": r[10],
             "next": lighting.TRANSITIONS.get(r[2], ())} for r in rows]


@router.get(CASES, response_class=HTMLResponse, dependencies=[audit_read("lighting_reports")])
def cases_page(request: Request, session: SessionDep) -> Response:
    """Open lighting cases, oldest first, with their history and the next steps a technician may take."""
    principal = page_user(request, session)
    if principal is None or not allowed(principal.role, "lighting:read"):
        return refuse(request, CASES)
    return render_page(request, "lighting_cases.html", principal, cases=_cases(session),
                       kinds=labels("lighting_kind", page_language(request)),
                       statuses=labels("lighting_status", page_language(request)),
                       can_write=allowed(principal.role, "lighting:write"), done=request.query_params.get("klart"))


@router.post(CASES + "/{report_id}", response_class=HTMLResponse)
async def move_case(request: Request, session: SessionDep, report_id: int) -> Response:
    principal = await run_in_threadpool(page_user, request, session)
    if principal is None or not allowed(principal.role, "lighting:write"):
        return refuse(request, CASES)
    form = await request.form()
    return await run_in_threadpool(_move, request, session, principal, report_id, form)


def _move(request: Request, session: SessionDep, principal: Principal, report_id: int, form: Any) -> Response:
    if not csrf_matches(principal, str(form.get("csrf") or "")):
        return csrf_refused()
    note = str(form.get("note") or "").strip()[:2000] or None
    try:
        lighting.change_status(session, report_id, str(form.get("status") or ""), principal.name, note)
    except DomainError as exc:
        session.rollback()
        page = render_page(request, "form_error.html", principal, message=exc.text(page_language(request)),
                           back=f"{CASES}#arende-{report_id}")
        page.status_code = exc.status_code if exc.status_code != 422 else 422
        return page
    return RedirectResponse(f"{CASES}?klart={report_id}#arende-{report_id}", status_code=303)


@router.get(PUBLIC_FORM, response_class=HTMLResponse)
def public_form(request: Request, session: SessionDep) -> Response:
    """Report a dark place or a broken lamp, no account needed: the public view of one municipality (its
    places listed, its area accepted), the install's default unless another is chosen."""
    principal = page_user(request, session)
    if principal is None:
        public_municipality(request, session)
    return render_page(request, "public_report.html", principal,
                       map_centre=map_centre(session), values={}, errors=[],
                       where_names=where_names(session), tile_url=get_settings().tile_url,
                       kinds=labels("lighting_kind", page_language(request)), saved=None)


@router.post(PUBLIC_FORM, response_class=HTMLResponse)
async def public_report(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    return await run_in_threadpool(_public_report, request, session, form)


def _same_site(request: Request) -> bool:
    """A form posted from another site (with a visitor's browser) is refused: no account, so no CSRF key.
    Behind a reverse proxy the browser's host arrives as X-Forwarded-Host."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    hosts = {request.url.netloc, *(h.strip() for h in request.headers.get("x-forwarded-host", "").split(",") if h)}
    return origin is None or urlsplit(origin).netloc in hosts


def _public_report(request: Request, session: SessionDep, form: Any) -> Response:
    principal = page_user(request, session)
    if principal is None:
        public_municipality(request, session)
    values = {k: str(form.get(k) or "").strip() for k in ("kind", "where", "lon", "lat", "description")}
    language = page_language(request)
    errors: list[str] = []
    saved = None
    try:
        if not _same_site(request):
            raise InvalidInput("posted from another site", loc=("header", "origin"),
                               sv="Formuläret skickades från en annan webbplats; öppna sidan här och försök igen.")
        if values["kind"] not in ("fault", "dark_spot"):
            raise InvalidInput("choose what to report", loc=("body", "kind"),
                               sv="Välj om det gäller en trasig lampa eller en mörk plats.")
        if len(values["description"]) > 2000:
            raise InvalidInput("description too long", loc=("body", "description"),
                               sv="Beskrivningen får vara högst 2 000 tecken.")
        lon, lat = _position(session, values)
        saved = lighting.create_report(session, kind=values["kind"], lon=lon, lat=lat,
                                       description=values["description"] or None, reported_by="allmänheten (webb)",
                                       source="allmanheten")
    except DomainError as exc:
        session.rollback()
        errors = [exc.text(language)]
    page = render_page(request, "public_report.html", principal,
                       map_centre=map_centre(session), values={} if saved else values, errors=errors,
                       where_names=where_names(session), tile_url=get_settings().tile_url,
                       kinds=labels("lighting_kind", language), saved=saved)
    if errors:
        page.status_code = 422
    return page


def _position(session: SessionDep, values: dict[str, str]) -> tuple[float, float]:
    if values["lon"] and values["lat"]:
        try:
            return float(values["lon"]), float(values["lat"])
        except ValueError:
            pass
    if values["where"]:
        found = resolve_where(session, values["where"])
        if found and "lon" in found:
            return float(found["lon"]), float(found["lat"])
        if found:
            row = session.execute(text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                                       "FROM places WHERE id = :id"), {"id": found["place_id"]}).one()
            return float(row[0]), float(row[1])
        raise InvalidInput("unknown place", loc=("body", "where"),
                           sv=f"Hittar ingen plats eller gata som heter ”{values['where']}”; välj ett namn i listan "
                              "eller tryck på kartan.")
    raise InvalidInput("no position", loc=("body", "where"),
                       sv="Ange var: skriv en gata eller plats, tryck på kartan eller använd din position.")
