"""Web pages (Swedish first): start page, a map page per user group, report form, sign-in."""

from __future__ import annotations

import contextlib
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from app.analysis import service as analysis
from app.analysis.schemas import ClusterParams, Scope
from app.auth.roles import allowed
from app.auth.service import Principal
from app.auth.sessions import SESSION_COOKIE, session_principal
from app.config import get_settings
from app.deps import SessionDep, parse_bbox, require_aware
from app.errors import InvalidInput
from app.incidents.service import visible_to
from app.limits import content_security_policy
from app.maps.service import VIEW_LAYERS, aggregated_incidents, map_data
from app.paths import FRONTEND
from app.reference.router import list_categories
from app.web.i18n import Language, translator
from geo.maps import build_map, render_html

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(FRONTEND / "templates"))
MAP_VIEWS = ("analys", "patrull", "belysning")
LANG_COOKIE = "lagesbild_lang"


def _language(request: Request) -> Language:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or get_settings().language
    return "en" if wanted == "en" else "sv"


def _principal(request: Request, session: SessionDep) -> Principal | None:
    """The signed-in user from the session cookie; unknown or expired just means signed out."""
    cookie = request.cookies.get(SESSION_COOKIE)
    principal = session_principal(session, cookie) if cookie else None
    request.state.principal = principal  # for the audit trail
    return principal


def _page(request: Request, template: str, principal: Principal | None, **context: Any) -> HTMLResponse:
    language = _language(request)
    response = templates.TemplateResponse(request, template, {
        "t": translator(language), "lang": language, "principal": principal, "path": request.url.path,
        "other_lang": "en" if language == "sv" else "sv",
        "can": lambda permission: principal is not None and allowed(principal.role, permission), **context})
    if "lang" in request.query_params:
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, samesite="strict")
    return response


def page_scope(start: str | None, end: str | None, category: list[str] | None, default_days: int) -> Scope:
    def parse(value: str | None, name: str) -> datetime | None:
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{name} must be a date such as 2025-06-01", loc=("query", name)) from None
        if moment.tzinfo is None:  # a date picked in the form is a local date
            from zoneinfo import ZoneInfo

            moment = moment.replace(tzinfo=ZoneInfo(get_settings().timezone))
        return require_aware(moment, name)

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    scope = Scope(start=parse(start, "start") or now - timedelta(days=default_days), end=parse(end, "end") or now,
                  category=[c for c in category or [] if c] or None)
    scope.period(default_days)
    return scope


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, session: SessionDep) -> HTMLResponse:
    principal = _principal(request, session)
    context: dict[str, Any] = {"view": "oversikt" if principal else "publik"}
    if principal and allowed(principal.role, "analysis:read"):
        context["compare"] = orjson.loads(analysis.compare(session, page_scope(None, None, None, 14)))
        hotspots = orjson.loads(analysis.clusters(session, page_scope(None, None, None, 90), ClusterParams()))
        context["hotspots"] = [f["properties"] for f in hotspots["features"][:5]]
    return _page(request, "index.html", principal, **context)


@router.get("/karta/{view}", response_class=HTMLResponse)
def map_page(request: Request, session: SessionDep, view: str,
             start: str | None = None, end: str | None = None,
             category: Annotated[list[str] | None, Query()] = None) -> Response:
    if view not in MAP_VIEWS:
        raise HTTPException(404, f"no map page {view!r}; pages: {', '.join(MAP_VIEWS)}")
    principal = _principal(request, session)
    if principal is None or not allowed(principal.role, "analysis:read"):
        return _refuse(request, f"/karta/{view}")
    scope = page_scope(start, end, category, 365)
    query = request.url.query
    return _page(request, "map.html", principal, view=view, categories=list_categories(session),
                 selected=scope.category or [], start=scope.start.date().isoformat() if scope.start else "",
                 end=scope.end.date().isoformat() if scope.end else "",
                 map_src=f"/karta/{view}/karta.html" + (f"?{query}" if query else ""))


@router.get("/karta/{view}/karta.html", response_class=HTMLResponse)
def map_document(request: Request, session: SessionDep, view: str, start: str | None = None,
                 end: str | None = None, category: Annotated[list[str] | None, Query()] = None) -> HTMLResponse:
    """The Folium map itself (shown in an iframe by the pages)."""
    if view not in VIEW_LAYERS:
        raise HTTPException(404, f"no map {view!r}")
    principal = _principal(request, session)
    if view != "publik" and (principal is None or not allowed(principal.role, "analysis:read")):
        view = "publik"
    scope = page_scope(start, end, category, 365)
    settings = get_settings()
    query = "&".join([f"start={scope.start.isoformat()}", f"end={scope.end.isoformat()}"]  # type: ignore[union-attr]
                     + [f"category={c}" for c in scope.category or []]).replace("+", "%2B")
    data = map_data(session, view, scope, incidents_url=f"/karta/data/incidents?{query}",  # type: ignore[arg-type]
                    analysis_query=query, incident_tiles_url="/api/v1/tiles/incidents/{z}/{x}/{y}.mvt?" + query)
    fmap = build_map(data, layers=VIEW_LAYERS[view], language=_language(request), tile_url=settings.tile_url or None,
                     attribution=settings.tile_attribution)
    nonce = secrets.token_urlsafe(18)
    return HTMLResponse(render_html(fmap, nonce=nonce), headers={
        "Content-Security-Policy": content_security_policy(settings.tile_url or None, nonce)})


@router.get("/karta/data/incidents")
def map_incidents(request: Request, session: SessionDep, zoom: Annotated[int, Query(ge=0, le=22)] = 13,
                  bbox: str | None = None, start: str | None = None, end: str | None = None,
                  category: Annotated[list[str] | None, Query()] = None) -> Response:
    """Counts per cell (or single incidents close up) for the map's current view; staff only."""
    principal = _principal(request, session)
    if principal is None or not allowed(principal.role, "incidents:read"):
        raise HTTPException(401, "sign in to see incidents")
    scope = page_scope(start, end, category, 365)
    box = parse_bbox(bbox, extent=None)
    scope = scope.model_copy(update={"bbox": bbox if box else None})
    flt = visible_to(analysis.scope_filter(session, scope, scope.start, scope.end), principal)  # type: ignore[arg-type]
    return Response(aggregated_incidents(session, flt, zoom=zoom), media_type="application/json")


def _sheet(request: Request, template: str, format: str | None, filename: str, **context: Any) -> Response:
    """A printable page; `?format=pdf` prints it with headless Chromium."""
    from zoneinfo import ZoneInfo

    created = datetime.now(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")
    pdf = request.url.include_query_params(format="pdf")
    html = templates.get_template(template).render(created=created, pdf_url=f"{pdf.path}?{pdf.query}", **context)
    if format == "pdf":
        from app.pdf import html_to_pdf

        return Response(html_to_pdf(html), media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{filename}.pdf"'})
    return HTMLResponse(html)


def _refuse(request: Request, next_path: str) -> Response:
    """Signed out: to the sign-in page and back. Signed in without the right: say so, in the page's language
    (sending a signed-in person to the sign-in page only confuses)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return RedirectResponse(f"/logga-in?next={next_path}", status_code=303)
    page = _page(request, "denied.html", principal)
    page.status_code = 403
    return page


def _csrf_refused() -> Response:
    """A form posted without the page's CSRF token (an old tab, or another site): nothing was done."""
    return Response("Formuläret saknade sidans CSRF-nyckel; ladda om sidan.", status_code=403)


def _staff(request: Request, session: SessionDep, permission: str) -> Principal | None:
    principal = _principal(request, session)
    return principal if principal is not None and allowed(principal.role, permission) else None


@router.get("/patrull/plan", response_class=HTMLResponse)
def patrol_sheet(request: Request, session: SessionDep, format: str | None = None, days: int = 14,
                 shifts: str | None = None) -> Response:
    """The printable patrol sheet (Swedish), with a small map per hotspot."""
    from app.patrol.service import patrol_plan
    from geo.minimap import minimap

    if _staff(request, session, "analysis:read") is None:
        return _refuse(request, "/patrull/plan")
    plan = patrol_plan(session, days=days, shifts=shifts)
    places = [f["geometry"] for f in orjson.loads(_places_json(session))]
    maps = {row["hotspot"]: minimap(row["geometry"], places) for row in plan["plan"]}
    return _sheet(request, "patrol_sheet.html", format, "patrullplan", plan=plan, maps=maps)


@router.get("/belysning/arbetslista", response_class=HTMLResponse)
def lighting_sheet(request: Request, session: SessionDep, format: str | None = None) -> Response:
    """The relighting work list for technical services, printable."""
    from app.lighting.service import work_list
    from geo.minimap import minimap

    if _staff(request, session, "lighting:read") is None:
        return _refuse(request, "/belysning/arbetslista")
    rows = work_list(session, limit=50)
    maps = {row["segment_id"]: minimap(row["geometry"], margin_m=80, colour="#e65100") for row in rows}
    return _sheet(request, "worklist.html", format, "belysning-arbetslista", rows=rows, maps=maps)


@router.get("/lagesbild", response_class=HTMLResponse)
def lagesbild_page(request: Request, session: SessionDep, format: str | None = None, start: str | None = None,
                   end: str | None = None) -> Response:
    """The lägesbild for a period (default the last 14 days), printable and as PDF."""
    from zoneinfo import ZoneInfo

    from app.report.service import lagesbild

    if _staff(request, session, "analysis:read") is None:
        return _refuse(request, "/lagesbild")
    if end and len(end) == 10:  # a date from the form's "to" field includes that day
        with contextlib.suppress(ValueError):  # page_scope names the problem
            end = (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    scope = page_scope(start, end, None, 14)
    from geo.temporal import EMERGING_SV

    return _sheet(request, "lagesbild.html", format, "lagesbild", r=lagesbild(session, scope),
                  tz=ZoneInfo(get_settings().timezone), one_tick=timedelta(microseconds=1), emerging_sv=EMERGING_SV)


def _places_json(session: SessionDep) -> str:
    from app.places.service import list_features

    return list_features(session, with_counts=False)


@router.get("/rapportera", response_class=HTMLResponse)
def report_page(request: Request, session: SessionDep) -> Response:
    principal = _principal(request, session)
    if principal is None:
        return _refuse(request, "/rapportera")
    return _page(request, "report.html", principal, categories=list_categories(session),
                 can_report=allowed(principal.role, "incidents:create"), tile_url=get_settings().tile_url,
                 timezone=get_settings().timezone)
