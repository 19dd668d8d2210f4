"""Importing a file from the browser (Swedish): check it first, then import it, with the same engine
and the same all-or-nothing rule as `lagesbild import` and POST /api/v1/imports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.auth.roles import Role, allowed
from app.auth.service import Principal
from app.auth.sessions import csrf_matches
from app.deps import SessionDep
from app.errors import DomainError
from app.imports.service import ImportOptions, ImportRejected, ImportReport, run_import
from app.messages import FIELDS_SV, row_reason
from app.web.deps import csrf_refused, organisation_choices, page_language, page_user, refuse, render_page

router = APIRouter(include_in_schema=False)
PAGE = "/importera"
SHOWN_ERRORS = 50


def _context(session: SessionDep, principal: Principal) -> dict[str, Any]:
    organisations = organisation_choices(session, "all")
    names: dict[str, str] = {code: name for code, name in organisations}
    own = principal.organisation if principal.role is Role.reporter else None
    return {"own": names.get(own, own) if own else None, "organisations": organisations}


@router.get(PAGE, response_class=HTMLResponse)
def import_page(request: Request, session: SessionDep) -> Response:
    principal = page_user(request, session)
    if principal is None or not allowed(principal.role, "imports:write"):
        return refuse(request, PAGE)
    return render_page(request, "import.html", principal, report=None, errors=[], checked=False,
                 **_context(session, principal))


@router.post(PAGE, response_class=HTMLResponse)
async def import_upload(request: Request, session: SessionDep) -> Response:
    principal = await run_in_threadpool(page_user, request, session)
    if principal is None or not allowed(principal.role, "imports:write"):
        return refuse(request, PAGE)
    form = await request.form()
    upload = form.get("file")
    if not csrf_matches(principal, str(form.get("csrf") or "")):
        return csrf_refused()
    return await run_in_threadpool(_import, request, session, principal, dict(form.items()), upload)


def _import(request: Request, session: SessionDep, principal: Principal, form: dict[str, Any],
            upload: Any) -> Response:
    language = page_language(request)
    english = language == "en"
    check_only = form.get("action") != "import"
    errors: list[str] = []
    report: ImportReport | None = None
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.append("Choose a file to import." if english else "Välj en fil att importera.")
    else:
        source = principal.organisation if principal.role is Role.reporter else (str(form.get("source") or "") or None)
        options = ImportOptions(filename=upload.filename, source=source, dry_run=check_only,
                                skip_invalid=form.get("skip_invalid") == "on", imported_by=principal.name)
        try:
            report = run_import(session, upload.file, options)
        except ImportRejected as exc:
            session.rollback()
            report = exc.report
        except DomainError as exc:
            session.rollback()
            errors.append(exc.text(language))
    rows = [{"row": e.row, "field": e.field if english else FIELDS_SV.get(e.field, e.field),
             "reason": row_reason(e.reason, language)} for e in (report.errors[:SHOWN_ERRORS] if report else [])]
    page = render_page(request, "import.html", principal, report=report, errors=errors, error_rows=rows,
                 checked=check_only, filename=getattr(upload, "filename", None),
                 skip_invalid=form.get("skip_invalid") == "on", **_context(session, principal))
    if errors or (report is not None and report.rejected and not report.committed and not check_only):
        page.status_code = 422
    return page
