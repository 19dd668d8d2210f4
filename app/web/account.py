"""A person's own account: change the password (the first one usually comes from an administrator)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from app.auth.sessions import csrf_matches
from app.auth.users import change_own_password
from app.deps import SessionDep
from app.errors import DomainError
from app.web.deps import csrf_refused, page_language, page_user, refuse, render_page

router = APIRouter(include_in_schema=False)
PAGE = "/konto"


@router.get(PAGE, response_class=HTMLResponse)
def account_page(request: Request, session: SessionDep) -> Response:
    principal = page_user(request, session)
    if principal is None:
        return refuse(request, PAGE)
    return render_page(request, "account.html", principal, errors=[], saved=False)


@router.post(PAGE, response_class=HTMLResponse)
def change_password(request: Request, session: SessionDep, current_password: Annotated[str, Form()] = "",
                    new_password: Annotated[str, Form()] = "", repeat_password: Annotated[str, Form()] = "",
                    csrf: Annotated[str, Form()] = "") -> Response:
    principal = page_user(request, session)
    if principal is None:
        return refuse(request, PAGE)
    if not csrf_matches(principal, csrf):
        return csrf_refused()
    errors: list[str] = []
    if principal.user_id is None:
        errors.append("api_key_account")
    elif new_password != repeat_password:
        errors.append("account_mismatch")
    else:
        try:
            change_own_password(session, principal.user_id, current_password, new_password)
        except DomainError as exc:
            session.rollback()
            errors.append("account_wrong" if exc.loc == ("current_password",) else exc.text(page_language(request)))
    page = render_page(request, "account.html", principal, errors=errors, saved=not errors)
    page.status_code = 422 if errors else 200
    return page
