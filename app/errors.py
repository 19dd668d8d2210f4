"""Domain errors and their HTTP mapping: every error is JSON `{"detail": [...]}` naming the field."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from psycopg.errors import QueryCanceled
from sqlalchemy.exc import DataError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException


class DomainError(Exception):
    """Base of errors the API reports to clients; `loc` names the failing field."""

    status_code = 400
    kind = "invalid"

    def __init__(self, msg: str, loc: tuple[str | int, ...] = (), *, sv: str | None = None, **context: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.sv = sv  # the same in Swedish, for the web pages; the API speaks English
        self.loc = loc
        self.context = context

    def text(self, language: str) -> str:
        return self.sv if language == "sv" and self.sv else self.msg

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with loc, sv and context: analyses raise these in a child process (app/analysis/runner.py),
        and the default would rebuild the error from its message alone."""
        return _rebuild, (self.__class__, self.msg, self.loc, self.sv, self.context)

    def detail(self) -> list[dict[str, Any]]:
        item: dict[str, Any] = {"loc": list(self.loc), "msg": self.msg, "type": self.kind}
        if self.sv:
            item["msg_sv"] = self.sv
        if self.context:
            item["ctx"] = self.context
        return [item]


def _rebuild(cls: type[DomainError], msg: str, loc: tuple[str | int, ...], sv: str | None,
             context: dict[str, Any]) -> DomainError:
    return cls(msg, loc, sv=sv, **context)


class InvalidInput(DomainError):
    status_code = 422
    kind = "value_error"


class NotFound(DomainError):
    status_code = 404
    kind = "not_found"


class Forbidden(DomainError):
    status_code = 403
    kind = "forbidden"


class Conflict(DomainError):
    status_code = 409
    kind = "conflict"


class PayloadTooLarge(DomainError):
    status_code = 413
    kind = "too_large"


class ServiceUnavailable(DomainError):
    status_code = 503
    kind = "unavailable"


HTTP_KINDS = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
def _ogc_status(request: Request, status: int) -> int:
    """OGC API – Features answers an invalid parameter with 400 (Part 1, /req/core/query-param-invalid);
    GDAL 3.6 aborts an ogr2ogr run on a 422. The rest of the API keeps FastAPI's 422."""
    return 400 if status == 422 and request.url.path.startswith("/ogc") else status


def _open311(request: Request, detail: list[dict[str, Any]], status: int,
             headers: dict[str, str] | None) -> Response:
    """Open311 GeoReport v2's error shape: [{"code", "description"}], or <errors> in XML for a .xml
    path; an invalid request is 400 there, as the spec lists it."""
    code = 400 if status == 422 else status
    errors = [{"code": code, "description": ": ".join(
        p for p in (".".join(str(x) for x in item.get("loc", [])[1:]), str(item.get("msg", ""))) if p)}
        for item in detail]
    if request.url.path.endswith(".xml"):
        from xml.etree import ElementTree

        root = ElementTree.Element("errors")
        for error in errors:
            element = ElementTree.SubElement(root, "error")
            ElementTree.SubElement(element, "code").text = str(error["code"])
            ElementTree.SubElement(element, "description").text = str(error["description"])
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="utf-8",
                                                                                xml_declaration=False)
        return Response(body, status_code=code, media_type="text/xml; charset=utf-8", headers=headers)
    return JSONResponse(errors, status_code=code, headers=headers)


def _reply(request: Request, detail: list[dict[str, Any]], status: int,
           headers: dict[str, str] | None = None) -> Response:
    """Every API error in one shape, {"detail": [...]}, but in the shape of the protocol where one
    defines its own (Open311). Authentication challenges separated by ";;" become one header each."""
    challenges = [c.strip() for c in (headers or {}).get("WWW-Authenticate", "").split(";;") if c.strip()]
    headers = {k: v for k, v in (headers or {}).items() if k != "WWW-Authenticate"} or None
    if request.url.path.startswith("/open311/"):
        response = _open311(request, detail, status, headers)
    else:
        response = JSONResponse({"detail": detail}, status_code=_ogc_status(request, status), headers=headers)
    for challenge in challenges:  # one header per scheme: browsers read only the first scheme of a list
        response.headers.append("WWW-Authenticate", challenge)
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        retry = exc.context.get("retry_after")
        return _reply(request, exc.detail(), exc.status_code, {"Retry-After": str(retry)} if retry else None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        # 401/403 from the permission dependencies, 404/405 from routing: the same list as every other
        # error, so a client reads one shape (they answered {"detail": "…"}).
        if isinstance(exc.detail, list):
            detail = exc.detail
        else:
            loc = ["header", "authorization"] if exc.status_code == 401 else ["request"]
            detail = [{"loc": loc, "msg": str(exc.detail), "type": HTTP_KINDS.get(exc.status_code, "http_error")}]
        return _reply(request, detail, exc.status_code, dict(exc.headers) if exc.headers else None)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        # Echo where and why, not the input itself: it may be NaN (not JSON) or sensitive free text.
        from app.messages import validation_error

        # msg in English for programs; msg_sv for the Swedish pages' own scripts to show as it is
        detail = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")).removeprefix("Value error, "),
             "type": e.get("type", "value_error"), "msg_sv": validation_error(dict(e), "sv")}
            for e in exc.errors()
        ]
        return _reply(request, detail, 422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # A fault of ours: logged by the server (the exception is re-raised after this answer), never shown.
        return _reply(request, [{"loc": ["server"], "msg": "internal error; it has been logged",
                                 "type": "server_error"}], 500)

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        # A value PostgreSQL cannot hold (an id beyond its integer range, say): the caller's input, not a fault.
        reason = str(exc.orig).splitlines()[0] if exc.orig else "value out of range"
        return JSONResponse({"detail": [{"loc": ["request"], "msg": f"invalid value: {reason}",
                                         "type": "value_error"}]}, status_code=422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    async def _db_down(_: Request, exc: SQLAlchemyError) -> JSONResponse:
        # The database is away or overloaded: say so quickly rather than hang or answer 500.
        if isinstance(getattr(exc, "orig", None), QueryCanceled):
            return JSONResponse(
                {"detail": [{"loc": ["request"], "msg": "The query took longer than the server allows "
                             "(LAGESBILD_STATEMENT_TIMEOUT_MS); narrow the time range, area or categories.",
                             "type": "timeout"}]}, status_code=503, headers={"Retry-After": "30"})
        return JSONResponse(
            {"detail": [{"loc": ["database"], "msg": "The database is unavailable; try again shortly.",
                         "type": "unavailable"}]},
            status_code=503,
            headers={"Retry-After": "5"},
        )
