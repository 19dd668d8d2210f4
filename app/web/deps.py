"""What every web page needs: who is signed in, the page's language, rendering, refusals, form choices.

Pages import these names; none reaches into app/web/router.py. `PageUser` is the page-side twin of
the API's principal dependency: the signed-in person or None (signed out is not an error on a page).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from app.auth.roles import allowed
from app.auth.service import Principal
from app.auth.sessions import SESSION_COOKIE, session_principal
from app.config import get_settings
from app.db import MUNICIPALITY_CODE, act_as
from app.deps import SessionDep
from app.errors import DomainError
from app.i18n import Language, label, translator
from app.municipalities.schemas import MunicipalityOut
from app.paths import FRONTEND
from app.reference import service as reference

templates = Jinja2Templates(directory=str(FRONTEND / "templates"))
LANG_COOKIE = "lagesbild_lang"
KOMMUN_COOKIE = "lagesbild_kommun"  # the municipality a county account (or the public) last chose


def page_language(request: Request) -> Language:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or get_settings().language
    return "en" if wanted == "en" else "sv"


def chosen_municipality(request: Request) -> tuple[str | None, bool]:
    """The municipality a page is asked for: `?kommun=` (remembered in a cookie by the page), else the one
    remembered; and whether it came from the cookie ('' in the query means all the account sees)."""
    if "kommun" in request.query_params:
        return request.query_params.get("kommun") or None, False
    return request.cookies.get(KOMMUN_COOKIE) or None, True


def page_user(request: Request, session: SessionDep) -> Principal | None:
    """The signed-in user from the session cookie; unknown or expired just means signed out."""
    cookie = request.cookies.get(SESSION_COOKIE)
    principal = session_principal(session, cookie) if cookie else None
    request.state.principal = principal  # for the audit trail
    request.state.kommun = ""
    if principal is not None:  # the page's reads run under the user's municipality role (row-level security)
        kommun, remembered = chosen_municipality(request)
        if kommun:  # a county account's page for one of its municipalities
            from app.municipalities.service import narrow

            try:
                narrow(session, principal.db_role, kommun)
            except DomainError:
                if not remembered:
                    raise
                act_as(session, principal.db_role)  # a remembered choice this account no longer sees
            else:
                request.state.municipality_only = request.state.kommun = kommun  # the audit row's too
        else:
            act_as(session, principal.db_role)
    return principal


def public_municipality(request: Request, session: SessionDep) -> MunicipalityOut:
    """The public view's municipality (chosen, remembered or the install's default); the session reads under
    its role from here on."""
    from app.municipalities.service import public_view

    kommun, remembered = chosen_municipality(request)
    try:
        found = public_view(session, kommun)
    except DomainError:
        if not remembered:
            raise
        found = public_view(session, None)
    request.state.kommun = kommun if kommun == found.code else ""
    return found


def remember_municipality(request: Request, response: Response) -> None:
    """A page shown for `?kommun=` remembers the choice for the next page; `?kommun=` empty forgets it."""
    if "kommun" not in request.query_params:
        return
    value = request.query_params.get("kommun") or ""
    if MUNICIPALITY_CODE.fullmatch(value):
        response.set_cookie(KOMMUN_COOKIE, value, max_age=365 * 86400, samesite="lax", httponly=True)
    else:
        response.delete_cookie(KOMMUN_COOKIE)


def municipality_context(request: Request, session: SessionDep, principal: Principal | None) -> dict[str, Any]:
    """The page's municipality choice: which one it shows (`kommun`, '' for all the account sees) and the
    others to choose between — every municipality for the public, a county account's own municipalities,
    none for a one-municipality account or install."""
    from app.municipalities import service as municipalities

    chosen = getattr(request.state, "kommun", "") or ""
    group_name = ""
    if principal is None:
        options = [(m.code, m.name) for m in municipalities.every(session)]
        name = dict(options).get(chosen) or (options[0][1] if options else "")
    elif principal.sees_group:
        options, group_name = municipalities.group_members(session, principal.sees_group)
        name = dict(options).get(chosen) or group_name
    else:
        options = []
        own = (municipalities.get_municipality(session, principal.municipality) if principal.municipality
               else municipalities.default(session))
        name = own.name
    return {"municipality_options": options if len(options) > 1 else [], "kommun": chosen,
            "municipality_name": name, "group_name": group_name, "narrowed": bool(chosen) or not group_name,
            "kommun_query": f"kommun={chosen}" if chosen else "",
            "keep_query": [(k, v) for k, v in request.query_params.multi_items() if k not in ("kommun", "format")]}


def map_centre(session: SessionDep) -> str:
    """'[lat, lon]' (JSON) a page's small map opens on: the main locality of the municipality the session looks at
    (its own, a narrowed county account's choice, the public view's), else the middle of its extent."""
    from sqlalchemy import text

    from app.municipalities.service import focus

    shown = focus(session)
    row = session.execute(text("SELECT localities->0->>'lat', localities->0->>'lon' FROM municipalities "
                               "WHERE code = :c"), {"c": shown.code}).first()
    if row is not None and row[0] is not None:
        return f"[{float(row[0]):.5f}, {float(row[1]):.5f}]"
    west, south, east, north = shown.extent
    return f"[{(south + north) / 2:.5f}, {(west + east) / 2:.5f}]"


def render_page(request: Request, template: str, principal: Principal | None, **context: Any) -> HTMLResponse:
    language = page_language(request)
    response = templates.TemplateResponse(request, template, {
        "t": translator(language), "lang": language, "principal": principal, "path": request.url.path,
        "other_lang": "en" if language == "sv" else "sv",
        "label": lambda group, code: label(group, code, language),
        "can": lambda permission: principal is not None and allowed(principal.role, permission), **context})
    if "lang" in request.query_params:
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, samesite="strict")
    remember_municipality(request, response)
    return response


def sheet(request: Request, template: str, format: str | None, filename: str, **context: Any) -> Response:
    """A printable page; `?format=pdf` prints it with headless Chromium."""
    from zoneinfo import ZoneInfo

    created = datetime.now(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")
    pdf = request.url.include_query_params(format="pdf")
    context.setdefault("t", translator(page_language(request)))
    html = templates.get_template(template).render(created=created, pdf_url=f"{pdf.path}?{pdf.query}", **context)
    if format == "pdf":
        from app.pdf import html_to_pdf

        return Response(html_to_pdf(html), media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{filename}.pdf"'})
    page = HTMLResponse(html)
    remember_municipality(request, page)
    return page


def refuse(request: Request, next_path: str) -> Response:
    """Signed out: to the sign-in page and back. Signed in without the right: say so, in the page's language
    (sending a signed-in person to the sign-in page only confuses)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return RedirectResponse(f"/logga-in?next={next_path}", status_code=303)
    page = render_page(request, "denied.html", principal)
    page.status_code = 403
    return page


def csrf_refused() -> Response:
    """A form posted without the page's CSRF token (an old tab, or another site): nothing was done."""
    return Response("Formuläret saknade sidans CSRF-nyckel; ladda om sidan.", status_code=403)


def staff(request: Request, session: SessionDep, permission: str) -> Principal | None:
    principal = page_user(request, session)
    return principal if principal is not None and allowed(principal.role, permission) else None


PageUser = Annotated[Principal | None, Depends(page_user)]


def organisation_choices(session: SessionDep, which: str = "units") -> list[tuple[str, str]]:
    """(code, name) by name for a form's select: "units" (every unit, no data sources), "reporting" (the
    units that file a report each period) or "all"."""
    found = reference.organisations(session, reporting_only=which == "reporting")
    if which == "units":
        found = [o for o in found if o.kind != "source"]
    return sorted(((o.code, o.name) for o in found), key=lambda pair: pair[1])
