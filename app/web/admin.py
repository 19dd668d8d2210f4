"""Accounts on the web, for administrators: create people, change role and unit, reset a password, disable.
Every change is audited by the service together with the change (who did it, old and new role)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from app.auth.roles import Role, allowed
from app.auth.service import Principal
from app.auth.sessions import csrf_matches
from app.auth.users import create_user, list_users, set_disabled, set_password, set_role
from app.deps import SessionDep
from app.errors import DomainError
from app.web.deps import csrf_refused, organisation_choices, page_language, page_user, refuse, render_page

router = APIRouter(include_in_schema=False)
PAGE = "/admin/anvandare"


def _context(session: SessionDep) -> dict[str, Any]:
    return {"users": list_users(session), "roles": [r.value for r in Role],
            "organisations": organisation_choices(session, "units")}


@router.get(PAGE, response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep) -> Response:
    principal = page_user(request, session)
    if principal is None or not allowed(principal.role, "users:admin"):
        return refuse(request, PAGE)
    return render_page(request, "admin_users.html", principal, errors=[], done=request.query_params.get("klart"),
                 **_context(session))


@router.post(PAGE, response_class=HTMLResponse)
async def users_action(request: Request, session: SessionDep) -> Response:
    principal = await run_in_threadpool(page_user, request, session)
    if principal is None or not allowed(principal.role, "users:admin"):
        return refuse(request, PAGE)
    form = dict((await request.form()).items())
    return await run_in_threadpool(_act, request, session, principal, form)


def _act(request: Request, session: SessionDep, principal: Principal, form: dict[str, Any]) -> Response:
    if not csrf_matches(principal, str(form.get("csrf") or "")):
        return csrf_refused()
    username = str(form.get("username") or "")
    organisation = str(form.get("organisation") or "") or None
    who = {"actor": principal.name, "via": "POST"}
    try:
        match form.get("action"):
            case "create":
                create_user(session, username=username, role=str(form.get("role") or ""), organisation=organisation,
                            password=str(form.get("password") or "") or None,
                            display_name=str(form.get("display_name") or "") or None, **who)
            case "role":
                if username.strip().lower() == principal.name and form.get("role") != principal.role.value:
                    raise DomainError("You cannot change your own role; ask another administrator.",
                                      sv="Du kan inte ändra din egen roll; be en annan administratör.")
                set_role(session, username, str(form.get("role") or ""), organisation, **who)
            case "password":
                set_password(session, username, str(form.get("password") or ""), **who)
            case "disable" | "enable":
                if username.strip().lower() == principal.name:
                    raise DomainError("You cannot disable your own account.",
                                      sv="Du kan inte inaktivera ditt eget konto.")
                set_disabled(session, username, form.get("action") == "disable", **who)
            case _:
                raise DomainError("Unknown action.", sv="Okänd åtgärd.")
    except DomainError as exc:
        session.rollback()
        page = render_page(request, "admin_users.html", principal, errors=[exc.text(page_language(request))], done=None,
                     **_context(session))
        page.status_code = 422 if exc.status_code == 400 else exc.status_code
        return page
    return RedirectResponse(f"{PAGE}?klart={form.get('action')}", status_code=303)
