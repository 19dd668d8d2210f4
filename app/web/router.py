"""Web pages (Swedish first): start page, a map page per user group, report form, sign-in."""

from __future__ import annotations

import contextlib
import secrets
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from app.analysis import service as analysis
from app.analysis.schemas import HOTSPOT_DAYS, ClusterParams, Scope, scope_from_text
from app.auth.roles import allowed
from app.auth.service import Principal
from app.auth.sessions import csrf_matches
from app.bbox import parse_bbox
from app.config import get_settings
from app.deps import SessionDep, audit_read
from app.errors import DomainError, InvalidInput
from app.i18n import LABELS, Language, labels
from app.limits import content_security_policy
from app.maps.render import build_map, render_html
from app.maps.service import VIEW_LAYERS, aggregated_incidents, map_data, sheet_minimap
from app.reference.service import categories as list_categories
from app.statistics.schemas import Rate
from app.web.deps import (
    csrf_refused,
    map_centre,
    municipality_context,
    organisation_choices,
    page_language,
    page_user,
    public_municipality,
    refuse,
    render_page,
    sheet,
    staff,
)

router = APIRouter(include_in_schema=False)
MAP_VIEWS = ("analys", "patrull", "belysning")
QUICK_PERIODS = {"14d": 14, "28d": 28, "kvartal": 91, "ar": 365}
HoursQ = Annotated[list[int] | None, Query()]
DaysQ = Annotated[list[int] | None, Query()]


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, session: SessionDep) -> HTMLResponse:
    principal = page_user(request, session)
    if principal is None:  # the public view of one municipality: the install's own unless another is chosen
        public_municipality(request, session)
    context: dict[str, Any] = {"view": "oversikt" if principal else "publik",
                               **municipality_context(request, session, principal)}
    if principal and allowed(principal.role, "analysis:read"):
        context["compare"] = analysis.compare(session, scope_from_text(None, None, None, 14))
        hotspot_scope = scope_from_text(None, None, None, HOTSPOT_DAYS)
        hotspots = analysis.clusters(session, hotspot_scope, ClusterParams())
        context["hotspots"] = [f.properties for f in hotspots.features[:5]]
        context["hotspot_period"] = _period_text(hotspot_scope)
        from app.municipalities import reference
        from app.municipalities.service import focus
        from app.statistics.service import local_rates

        shown = focus(session)  # Motala's analyst sees Motala's rates, a county account its chosen one's
        context["rates"] = [(year, [_rate_text(by.get(level), page_language(request))
                                    for level in ("municipality", "county", "country")])
                            for year, by in local_rates(session, shown.code)[:6]]
        context["rate_areas"] = (shown.name.removesuffix(" kommun"),
                                 reference.COUNTIES.get(shown.county_code or "", shown.county_code or ""))
    if principal:
        context["map_period"] = _period_text(scope_from_text(None, None, None, HOTSPOT_DAYS))
        context["feed_warning"] = _feed_warning(session, page_language(request))
        context["feed_gaps"] = _feed_gaps(session, page_language(request))
        context["can_acknowledge_gaps"] = allowed(principal.role, "users:admin")
    else:
        context.update(_public_context(session))
    return render_page(request, "index.html", principal, **context)


def _rate_text(rate: Rate | None, language: Language) -> str:
    """'1 234,5' (Swedish) or '1,234.5'; Brå's own figure, where SCB's population is missing, marked '*'."""
    if rate is None or rate.per_100k is None:
        return "–"
    figure = f"{rate.per_100k:,.1f}"
    if language == "sv":
        figure = figure.replace(",", "\u00a0").replace(".", ",")
    return figure + {"Brå": "*", "summed": "\u2009Σ"}.get(rate.basis, "")


def _feed_warning(session: SessionDep, language: Language) -> str | None:
    """A line for staff when the police feed's last good fetch is older than the feed's window."""
    from zoneinfo import ZoneInfo

    from app.config import get_settings
    from app.i18n import text as translate
    from app.imports.police import FEED_WINDOW
    from app.policefeed.service import status

    state = status(session)
    if not state.stale:
        return None
    zone = ZoneInfo(get_settings().timezone)

    def local_text(when: datetime) -> str:
        return when.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    last = f"{local_text(state.last_attempt)} ({state.last_message or '–'})" if state.last_attempt else "–"
    if state.last_ok is None:
        return translate("feed_never", language).replace("{last}", last)
    return (translate("feed_stale", language).replace("{when}", local_text(state.last_ok))
            .replace("{days}", str(FEED_WINDOW.days)).replace("{last}", last))


def _feed_gaps(session: SessionDep, language: Language) -> list[str]:
    """A line per gap in the police feed that no admin has acknowledged yet."""
    from zoneinfo import ZoneInfo

    from app.config import get_settings
    from app.i18n import text as translate
    from app.policefeed.service import status

    zone = ZoneInfo(get_settings().timezone)
    return [translate("feed_gap", language).replace("{from}", start.astimezone(zone).strftime("%Y-%m-%d %H:%M"))
            .replace("{to}", end.astimezone(zone).strftime("%Y-%m-%d %H:%M")) for start, end in status(session).gaps]


@router.post("/polisflode/kvittera")
async def acknowledge_feed_gaps(request: Request, session: SessionDep) -> Response:
    """An admin has seen the police feed's gaps (and will ask the police for what passed unseen): the start
    page stops showing them. The feed serves the whole install; its log is written under the owner's role."""
    from app.policefeed.service import acknowledge_gaps

    form = await request.form()
    principal = staff(request, session, "users:admin")
    if principal is None:
        return refuse(request, "/")
    if not csrf_matches(principal, str(form.get("csrf") or "")):
        return csrf_refused()
    await run_in_threadpool(acknowledge_gaps, session, principal.name)
    return RedirectResponse("/", status_code=303)


PUBLIC_FEWEST = 5  # counts below this are not shown to the public (as the public map's cells)


def _public_context(session: SessionDep) -> dict[str, Any]:
    """What a resident sees: which quarter and which kinds of incident the map shows, and the citizen
    promises with their half-year follow-up in aggregate (small counts withheld)."""
    from app.promises import service as promises
    from app.public.service import latest_released_quarter

    groups = session.execute(text("""SELECT group_code, string_agg(label_sv, ', ' ORDER BY sort_order)
                                     FROM categories GROUP BY group_code ORDER BY min(sort_order)""")).all()
    shown = []
    for promise in promises.current(session, date.today()):
        follow = promises.follow_up(session, promise["id"])
        total = follow["total"]
        shown.append({"title": promise["title"], "period_start": promise["period_start"],
                      "period_end": promise["period_end"], "places": [p["name"] for p in promise["places"]],
                      "half": follow["half"].replace("H", " halvår "),
                      "current": total["current"] if total["current"] >= PUBLIC_FEWEST else None,
                      "year_before": total["year_before"] if total["year_before"] >= PUBLIC_FEWEST else None,
                      "progress": follow["progress"]})
    return {"public_quarter": latest_released_quarter().replace("-Q", ", kvartal "),
            "public_groups": [words for _, words in groups], "public_promises": shown,
            "public_fewest": PUBLIC_FEWEST}


def _period_text(scope: Scope) -> str:
    """'2026-06-01 – 2026-11-30' in local dates, the end inclusive."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(get_settings().timezone)
    assert scope.start is not None and scope.end is not None
    last = (scope.end - timedelta(microseconds=1)).astimezone(tz)
    return f"{scope.start.astimezone(tz):%Y-%m-%d} – {last:%Y-%m-%d}"


@router.get("/karta/gatunat")
def map_streets(session: SessionDep, bbox: str, zoom: Annotated[int, Query(ge=0, le=22)] = 15) -> Response:
    """The street base for a live map whose tiles do not load (no internet, a blocked tile server): streets
    with their names, water, green areas and, close up, buildings. Public: it is map data, not incidents."""
    from app.basemap.service import live_geojson

    box = parse_bbox(bbox, extent=None)
    if box is None:
        raise InvalidInput("bbox is required", loc=("query", "bbox"))
    return Response(live_geojson(session, box.as_tuple(), zoom), media_type="application/geo+json",
                    headers={"Cache-Control": "public, max-age=3600"})


@router.get("/karta/{view}", response_class=HTMLResponse)
def map_page(request: Request, session: SessionDep, view: str,
             start: str | None = None, end: str | None = None,
             category: Annotated[list[str] | None, Query()] = None, hour: HoursQ = None, weekday: DaysQ = None,
             period: str | None = None, hour_from: str | None = None, hour_to: str | None = None) -> Response:
    if view not in MAP_VIEWS:
        raise HTTPException(404, f"no map page {view!r}; pages: {', '.join(MAP_VIEWS)}")
    principal = page_user(request, session)
    if principal is None or not allowed(principal.role, "analysis:read"):
        return refuse(request, f"/karta/{view}")
    if period in QUICK_PERIODS:  # a quick period: the last N days up to and including today
        start, end = (date.today() - timedelta(days=QUICK_PERIODS[period] - 1)).isoformat(), date.today().isoformat()
    if end and len(end) == 10:  # the form's "to" date includes that day
        with contextlib.suppress(ValueError):  # scope_from_text names a bad date
            end = (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    if hour_from and hour_to and hour_from.isdigit() and hour_to.isdigit():  # "20" to "02": 20, 21, …, 01
        first, last = int(hour_from) % 24, int(hour_to) % 24
        hour = [(first + k) % 24 for k in range((last - first) % 24)] or None
    scope = scope_from_text(start, end, category, HOTSPOT_DAYS, hour, weekday)
    place = municipality_context(request, session, principal)
    query = urlencode([("start", start or ""), ("end", end or ""), *_filter_pairs(scope),
                       *([("kommun", place["kommun"])] if place["kommun"] else [])])
    tz = ZoneInfo(get_settings().timezone)
    assert scope.start is not None and scope.end is not None
    return render_page(request, "map.html", principal, **place, view=view, categories=list_categories(session),
                       selected=scope.category or [], start=scope.start.astimezone(tz).date().isoformat(),
                       end=(scope.end - timedelta(microseconds=1)).astimezone(tz).date().isoformat(),
                       hours=scope.hour or [], weekdays=scope.weekday or [], quick=QUICK_PERIODS, period=period,
                       hour_from=hour_from or "", hour_to=hour_to or "",
                       map_src=f"/karta/{view}/karta.html?{query}")


def _filter_pairs(scope: Scope) -> list[tuple[str, str]]:
    """The map's filters as query pairs, passed on to its data and analysis requests."""
    return ([("category", c) for c in scope.category or []] + [("hour", str(h)) for h in scope.hour or []]
            + [("weekday", str(d)) for d in scope.weekday or []])


@router.get("/karta/{view}/karta.html", response_class=HTMLResponse)
def map_document(request: Request, session: SessionDep, view: str, start: str | None = None,
                 end: str | None = None, category: Annotated[list[str] | None, Query()] = None,
                 hour: HoursQ = None, weekday: DaysQ = None) -> HTMLResponse:
    """The Folium map itself (shown in an iframe by the pages)."""
    if view not in VIEW_LAYERS:
        raise HTTPException(404, f"no map {view!r}")
    principal = page_user(request, session)
    if view != "publik" and (principal is None or not allowed(principal.role, "analysis:read")):
        view = "publik"
    public = public_municipality(request, session) if view == "publik" else None
    kommun = request.state.kommun
    scope = scope_from_text(start, end, category, HOTSPOT_DAYS, hour, weekday)
    settings = get_settings()
    assert scope.start is not None and scope.end is not None
    query = urlencode([("start", scope.start.isoformat()), ("end", scope.end.isoformat()), *_filter_pairs(scope)])
    # A county account's map of one municipality: its data and analysis requests are narrowed alike.
    api_query = query + (f"&municipality={kommun}" if kommun else "")
    data = map_data(session, view, scope,  # type: ignore[arg-type]
                    incidents_url=f"/karta/data/incidents?{query}" + (f"&kommun={kommun}" if kommun else ""),
                    analysis_query=api_query, incident_tiles_url="/api/v1/tiles/incidents/{z}/{x}/{y}.mvt?" + api_query,
                    municipality=public)
    fmap = build_map(data, layers=VIEW_LAYERS[view], language=page_language(request),
                     tile_url=settings.tile_url or None, attribution=settings.tile_attribution,
                     street_base_url="/karta/gatunat")
    nonce = secrets.token_urlsafe(18)
    return HTMLResponse(render_html(fmap, nonce=nonce), headers={
        "Content-Security-Policy": content_security_policy(settings.tile_url or None, nonce)})


@router.get("/karta/data/incidents", dependencies=[audit_read("incidents")])
def map_incidents(request: Request, session: SessionDep, zoom: Annotated[int, Query(ge=0, le=22)] = 13,
                  bbox: str | None = None, start: str | None = None, end: str | None = None,
                  category: Annotated[list[str] | None, Query()] = None, hour: HoursQ = None,
                  weekday: DaysQ = None) -> Response:
    """Counts per cell (or single incidents close up) for the map's current view; staff only."""
    principal = page_user(request, session)
    if principal is None or not allowed(principal.role, "incidents:read"):
        raise HTTPException(401, "sign in to see incidents")
    scope = scope_from_text(start, end, category, 365, hour, weekday)
    box = parse_bbox(bbox, extent=None)
    scope = scope.model_copy(update={"bbox": bbox if box else None})
    flt = analysis.scope_filter(session, scope, scope.start, scope.end, principal)  # type: ignore[arg-type]
    return Response(aggregated_incidents(session, flt, zoom=zoom), media_type="application/json")


@router.get("/patrull/plan", response_class=HTMLResponse)
def patrol_sheet(request: Request, session: SessionDep, format: str | None = None, days: int = 14,
                 shifts: str | None = None) -> Response:
    """The printable patrol sheet (Swedish), with a small map per hotspot."""
    from app.patrol.service import MIN_EXPECTED_ON_SHEET, by_hotspot, patrol_plan

    if staff(request, session, "analysis:read") is None:
        return refuse(request, "/patrull/plan")
    place = municipality_context(request, session, request.state.principal)
    plan = patrol_plan(session, days=days, shifts=shifts)
    entries, left_off = by_hotspot(plan)
    maps = {e["hotspot"]: sheet_minimap(session, e["geometry"], size_px=200) for e in entries}
    return sheet(request, "patrol_sheet.html", format, "patrullplan", plan=plan, entries=entries, maps=maps,
                 left_off=left_off, min_expected=MIN_EXPECTED_ON_SHEET, **place)


@router.get("/belysning/arbetslista", response_class=HTMLResponse)
def lighting_sheet(request: Request, session: SessionDep, format: str | None = None) -> Response:
    """The relighting work list for technical services, printable."""
    from app.lighting.service import by_street, work_list

    if staff(request, session, "lighting:read") is None:
        return refuse(request, "/belysning/arbetslista")
    rows = work_list(session, limit=50)
    maps = {row["segment_id"]: sheet_minimap(session, row["geometry"], margin_m=80, colour="#e65100")
            for row in rows}
    return sheet(request, "worklist.html", format, "belysning-arbetslista", rows=rows, maps=maps,
                 streets=by_street(session, rows))


@router.get("/lagesbild", dependencies=[audit_read("lagesbild")], response_class=HTMLResponse)
def lagesbild_page(request: Request, session: SessionDep, format: str | None = None, start: str | None = None,
                   end: str | None = None, hotspot: int | None = None) -> Response:
    """The lägesbild for a period (default the last 14 days), printable and as PDF."""
    from zoneinfo import ZoneInfo

    from app.report.service import lagesbild

    principal = staff(request, session, "analysis:read")
    if principal is None:
        return refuse(request, "/lagesbild")
    scope = _lagesbild_scope(start, end)
    place = municipality_context(request, session, principal)
    # A county account decides for one municipality at a time (a decision belongs to one); the whole
    # county's lägesbild compares its municipalities.
    can_decide = allowed(principal.role, "interventions:write") and place["narrowed"]
    can_promise = allowed(principal.role, "promises:write") and format != "pdf" and place["narrowed"]
    county = None
    if not place["narrowed"]:
        from app.municipalities.service import compare as compare_municipalities

        assert scope.start is not None and scope.end is not None
        county = compare_municipalities(session, scope.start, scope.end)
    return sheet(request, "lagesbild.html", format, "lagesbild", r=lagesbild(session, scope), county=county,
                 **place,
                 can_promise=can_promise, categories=list_categories(session) if can_promise else [],
                 chosen_hotspot=hotspot,
                 tz=ZoneInfo(get_settings().timezone), one_tick=timedelta(microseconds=1),
                 labels_sv={group: labels(group) for group in LABELS}, principal=principal,
                 can_decide=can_decide and format != "pdf",
                 organisations=organisation_choices(session, "units") if can_decide else [],
                 places=session.execute(text("SELECT id, name FROM places ORDER BY name")).all()
                 if can_decide or can_promise else [])


def _lagesbild_scope(start: str | None, end: str | None) -> Scope:
    if end and len(end) == 10:  # a date from the form's "to" field includes that day
        with contextlib.suppress(ValueError):  # scope_from_text names the problem
            end = (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    return scope_from_text(start, end, None, 14)


def _refused(request: Request, session: SessionDep, principal: Principal, exc: Exception, back: str) -> Response:
    """A lägesbild form refused: nothing stored, a Swedish page naming the problem and the way back."""
    session.rollback()
    message = exc.text("sv") if isinstance(exc, DomainError) else "Ogiltigt värde i formuläret."
    page = render_page(request, "form_error.html", principal, message=message, back=back)
    page.status_code = 422
    return page


async def _decision_form(request: Request, session: SessionDep, permission: str = "interventions:write",
                         section: str = "beslut") -> tuple[Any, Principal, str] | Response:
    """A decision form posted from the lägesbild: its fields, the writer, and the lägesbild to go back to;
    or the refusal (signed out, no right to write, no CSRF token)."""
    form = await request.form()
    principal = staff(request, session, permission)
    if principal is None:
        return refuse(request, "/lagesbild")
    if not csrf_matches(principal, str(form.get("csrf") or "")):
        return csrf_refused()
    kommun = request.state.kommun
    back = (f"/lagesbild?start={form.get('period_start') or ''}&end={form.get('period_end') or ''}"
            f"{'&kommun=' + kommun if kommun else ''}#{section}")
    return form, principal, back


@router.post("/lagesbild/beslut", response_class=HTMLResponse)
async def record_decision(request: Request, session: SessionDep) -> Response:
    """The meeting records a decision on the lägesbild page: an intervention on a numbered hotspot or a
    place, with its unit, the person who answers for it, its start and its deadline. The next
    lägesbild reports its status and, once started, its follow-up."""
    from app.interventions import service as interventions
    from app.report.service import hotspots_of

    checked = await _decision_form(request, session)
    if isinstance(checked, Response):
        return checked
    form, principal, back = checked
    start, end = str(form.get("period_start") or "") or None, str(form.get("period_end") or "") or None
    try:
        scope = _lagesbild_scope(start, end)
        target = str(form.get("target") or "")
        body: dict[str, Any] = {key: str(form.get(key) or "").strip() or None for key in (
            "title", "kind", "organisation", "responsible", "start_date", "due_date")}
        if target.startswith("hotspot:"):
            rank = int(target.split(":", 1)[1])
            found = [f for f in hotspots_of(session, scope) if f.properties.rank == rank]
            if not found:
                raise InvalidInput("no such hotspot", loc=("body", "target"),
                                   sv=f"Hotspot {rank} finns inte längre; ladda om lägesbilden.")
            body["target"] = found[0].geometry
            body["notes"] = f"Beslutat för hotspot {rank}, {found[0].properties.name}"
        elif target.startswith("place:"):
            body["place_id"] = int(target.split(":", 1)[1])
        else:
            raise InvalidInput("choose where", loc=("body", "target"), sv="Välj en hotspot eller en plats.")
        if not body["title"]:
            raise InvalidInput("title is required", loc=("body", "title"), sv="Skriv vad som ska göras.")
        assert scope.end is not None
        tz = ZoneInfo(get_settings().timezone)
        body["decided_on"] = (scope.end - timedelta(microseconds=1)).astimezone(tz).date().isoformat()
        body["start_date"] = body["start_date"] or date.today().isoformat()
        interventions.create(session, body, principal.name)
    except (DomainError, ValueError) as exc:
        return _refused(request, session, principal, exc, back)
    return RedirectResponse(back, status_code=303)


@router.post("/lagesbild/beslut/{intervention_id}/status", response_class=HTMLResponse)
async def decision_status(request: Request, session: SessionDep, intervention_id: int) -> Response:
    """The meeting moves a decision on: planned, under way, done or cancelled, and who answers for it by
    when."""
    from app.interventions import service as interventions

    checked = await _decision_form(request, session)
    if isinstance(checked, Response):
        return checked
    form, principal, back = checked
    status = str(form.get("status") or "")
    try:
        if "due_date" in form or "responsible" in form:
            interventions.set_plan(session, intervention_id, status=status,
                                   responsible=str(form.get("responsible") or "") or None,
                                   due_date=str(form.get("due_date") or "") or None)
        elif status in LABELS["intervention_status"]:
            interventions.set_status(session, intervention_id, status, None)
        else:
            raise InvalidInput("bad status", loc=("body", "status"),
                               sv="Välj en status: planerad, pågår, avslutad eller inställd.")
    except DomainError as exc:
        page = render_page(request, "form_error.html", principal, back=back, message=exc.text("sv"))
        page.status_code = exc.status_code
        return page
    return RedirectResponse(back, status_code=303)


@router.post("/lagesbild/orsak", response_class=HTMLResponse)
async def record_cause(request: Request, session: SessionDep) -> Response:
    """The group writes down the cause it believes in for a numbered hotspot, the evidence it rests on, and
    the interventions chosen against it; every later lägesbild shows cause → intervention → effect."""
    from app.causes import service as causes
    from app.report.service import hotspots_of

    checked = await _decision_form(request, session, "interventions:write", "orsak")
    if isinstance(checked, Response):
        return checked
    form, principal, back = checked
    try:
        scope = _lagesbild_scope(str(form.get("period_start") or "") or None, str(form.get("period_end") or "") or None)
        rank = int(str(form.get("hotspot") or "0"))
        found = [f for f in hotspots_of(session, scope) if f.properties.rank == rank]
        if not found:
            raise InvalidInput("no such hotspot", loc=("body", "hotspot"),
                               sv=f"Hotspot {rank} finns inte längre; ladda om lägesbilden.")
        assert scope.end is not None
        day = (scope.end - timedelta(microseconds=1)).astimezone(ZoneInfo(get_settings().timezone)).date()
        causes.record(session, decided_on=day, hotspot=found[0].properties.name, geometry=found[0].geometry,
                      factors=[str(v) for v in form.getlist("factors")], cause=str(form.get("cause") or ""),
                      intervention_ids=[int(str(v)) for v in form.getlist("intervention_ids")],
                      created_by=principal.name)
    except (DomainError, ValueError) as exc:
        return _refused(request, session, principal, exc, back)
    return RedirectResponse(back, status_code=303)


@router.post("/lagesbild/medborgarlofte", response_class=HTMLResponse)
async def make_promise(request: Request, session: SessionDep) -> Response:
    """The meeting writes down a citizen promise: what is promised, for which half-years, for which
    places and kinds of incident, and which decided interventions serve it. Its twice-yearly follow-up
    is one click away in every lägesbild while it runs."""
    from app.promises import service as promises

    checked = await _decision_form(request, session, "promises:write", "medborgarloften")
    if isinstance(checked, Response):
        return checked
    form, principal, back = checked
    try:
        body = {"title": str(form.get("title") or "").strip(),
                "description": str(form.get("description") or "").strip() or None,
                "period_start": str(form.get("promise_start") or ""), "period_end": str(form.get("promise_end") or ""),
                "categories": [str(v) for v in form.getlist("categories")],
                "place_ids": [int(str(v)) for v in form.getlist("place_ids")],
                "intervention_ids": [int(str(v)) for v in form.getlist("intervention_ids")]}
        if not body["title"]:
            raise InvalidInput("title is required", loc=("body", "title"), sv="Skriv vad som lovas.")
        if not (body["place_ids"] or body["categories"]):
            raise InvalidInput("choose places or categories", loc=("body", "place_ids"),
                               sv="Välj minst en plats eller en kategori som löftet gäller.")
        if len(body["description"] or "") > 4000:
            raise InvalidInput("description too long", loc=("body", "description"),
                               sv="Beskrivningen får vara högst 4 000 tecken.")
        promises.save(session, body, principal.name)
    except (DomainError, ValueError) as exc:
        return _refused(request, session, principal, exc, back)
    return RedirectResponse(back, status_code=303)


@router.get("/hur-sakra", response_class=HTMLResponse)
def validity_page(request: Request, session: SessionDep) -> HTMLResponse:
    """How often each claim the pages make comes from data with nothing to find (bench/validity.py's table):
    for everyone, as it holds no data of the municipality."""
    return render_page(request, "validity.html", page_user(request, session), table=analysis.validity_table())


@router.get("/rapportera", response_class=HTMLResponse)
def report_page(request: Request, session: SessionDep) -> Response:
    principal = page_user(request, session)
    if principal is None:
        return refuse(request, "/rapportera")
    return render_page(request, "report.html", principal,
                       map_centre=map_centre(session), categories=list_categories(session),
                 can_report=allowed(principal.role, "incidents:create"), tile_url=get_settings().tile_url,
                 timezone=get_settings().timezone)
