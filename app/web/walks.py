"""Safety walks on the web (Swedish): record a walk, add findings by clicking the map, and turn a finding
into an intervention or a lighting case with one button."""

from __future__ import annotations

from datetime import date
from typing import Any

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
from app.walks import service as walks
from app.web.deps import (
    csrf_refused,
    map_centre,
    organisation_choices,
    page_language,
    page_user,
    refuse,
    render_page,
)

router = APIRouter(include_in_schema=False)
PAGE = "/trygghetsvandringar"


def _context(request: Request, session: SessionDep, principal: Principal) -> dict[str, Any]:
    language = page_language(request)
    return {"walks": walks.get_all(session), "kinds": labels("finding_kind", language),
            "priorities": labels("priority", language),
            "statuses": labels("finding_status", language), "today": date.today().isoformat(),
            "organisations": organisation_choices(session, "units"),
            # a finding's owner by its unit's name, not its code (service_teknik), #35
            "unit_names": dict(session.execute(text("SELECT code, name FROM organisations")).all()),
            "places": session.execute(text("SELECT id, name FROM places ORDER BY name")).all(),
            "can_write": allowed(principal.role, "walks:write"),
            "can_intervene": allowed(principal.role, "interventions:write"),
            "tile_url": get_settings().tile_url}


@router.get(PAGE, response_class=HTMLResponse, dependencies=[audit_read("safety_walks")])
def walks_page(request: Request, session: SessionDep) -> Response:
    principal = page_user(request, session)
    if principal is None or not allowed(principal.role, "walks:read"):
        return refuse(request, PAGE)
    return render_page(request, "walks.html", principal, errors=[],
                       map_centre=map_centre(session), done=request.query_params.get("klart"), form={},
                 **_context(request, session, principal))


@router.post(PAGE, response_class=HTMLResponse)
async def walks_action(request: Request, session: SessionDep) -> Response:
    """One endpoint for the page's forms: new walk, new finding, convert a finding (field `action`)."""
    principal = await run_in_threadpool(page_user, request, session)
    if principal is None:
        return refuse(request, PAGE)
    form = dict((await request.form()).items())
    return await run_in_threadpool(_act, request, session, principal, form)


def _act(request: Request, session: SessionDep, principal: Principal, form: dict[str, Any]) -> Response:
    if not csrf_matches(principal, str(form.get("csrf") or "")):
        return csrf_refused()
    if not allowed(principal.role, "walks:write"):
        return Response(f"Rollen {principal.role.value} får inte registrera trygghetsvandringar.", status_code=403)
    action = form.get("action")
    try:
        if action == "walk":
            walk_id = walks.create(session, {
                "walked_on": form.get("walked_on"), "area": form.get("area"), "participants": form.get("participants"),
                "organisation": form.get("organisation") or None,
                "place_id": int(form["place_id"]) if form.get("place_id") else None}, principal)
            done = f"vandring-{walk_id}"
        elif action == "finding":
            walk_id = int(form.get("walk_id") or 0)
            if not form.get("lat") or not form.get("lon"):
                raise InvalidInput("Click the map where the finding is.", loc=("body", "lat"),
                                   sv="Klicka i kartan där fyndet finns.")
            walks.add_finding(session, walk_id, {k: form.get(k) or None for k in (
                "kind", "lon", "lat", "description", "owner", "priority", "deadline")})
            done = f"fynd-{walk_id}"
        elif action in ("intervention", "lighting_fault"):
            result = walks.convert(session, int(form.get("walk_id") or 0), int(form.get("finding_id") or 0),
                                   {"to": action}, principal)
            done = f"{action}-{result['id']}"
        else:
            raise InvalidInput("Unknown action.", loc=("body", "action"), sv="Okänd åtgärd.")
    except (DomainError, ValueError) as exc:
        session.rollback()
        language = page_language(request)
        message = exc.text(language) if isinstance(exc, DomainError) else (
            "Ett fält har ett ogiltigt värde; ladda om sidan." if language == "sv"
            else "A field has an invalid value; reload the page.")
        page = render_page(request, "walks.html", principal, errors=[message],
                           map_centre=map_centre(session), done=None, form=form,
                     **_context(request, session, principal))
        page.status_code = exc.status_code if isinstance(exc, DomainError) else 422
        return page
    return RedirectResponse(f"{PAGE}?klart={done}", status_code=303)
