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
from app.db import act_as
from app.deps import SessionDep
from app.i18n import Language, label, translator
from app.paths import FRONTEND
from app.reference import service as reference

templates = Jinja2Templates(directory=str(FRONTEND / "templates"))
LANG_COOKIE = "lagesbild_lang"


def page_language(request: Request) -> Language:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or get_settings().language
    return "en" if wanted == "en" else "sv"


def page_user(request: Request, session: SessionDep) -> Principal | None:
    """The signed-in user from the session cookie; unknown or expired just means signed out."""
    cookie = request.cookies.get(SESSION_COOKIE)
    principal = session_principal(session, cookie) if cookie else None
    request.state.principal = principal  # for the audit trail
    if principal is not None:  # the page's reads run under the user's municipality role (row-level security)
        kommun = request.query_params.get("kommun")
        if kommun:  # a county account's page for one of its municipalities
            from app.municipalities.service import narrow

            narrow(session, principal.db_role, kommun)
            request.state.municipality_only = kommun  # the audit row is that municipality's too
        else:
            act_as(session, principal.db_role)
    return principal


def municipality_context(request: Request, session: SessionDep, principal: Principal | None) -> dict[str, Any]:
    """The page's municipality choice: which one it shows (`kommun`, '' for all the account sees) and the
    others to choose between — every municipality for the public, a county account's own municipalities,
    none for a one-municipality account or install."""
    from app.municipalities import service as municipalities

    chosen = request.query_params.get("kommun") or ""
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


def render_page(request: Request, template: str, principal: Principal | None, **context: Any) -> HTMLResponse:
    language = page_language(request)
    response = templates.TemplateResponse(request, template, {
        "t": translator(language), "lang": language, "principal": principal, "path": request.url.path,
        "other_lang": "en" if language == "sv" else "sv",
        "label": lambda group, code: label(group, code, language),
        "can": lambda permission: principal is not None and allowed(principal.role, permission), **context})
    if "lang" in request.query_params:
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, samesite="strict")
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
    return HTMLResponse(html)


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
