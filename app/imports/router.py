"""File upload: the same engine as `lagesbild import`."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile

from app.auth.roles import Role
from app.auth.service import Principal, writing_unit
from app.deps import SessionDep, require
from app.errors import InvalidInput
from app.imports.readers import FORMATS
from app.imports.service import ImportOptions, run_import

router = APIRouter(prefix="/imports", tags=["imports"])

Importer = Annotated[Principal, Depends(require("imports:write"))]


@router.post("", summary="Import a CSV, Excel, GeoJSON or police feed file (whole or not at all)")
def upload(
    session: SessionDep,
    principal: Importer,
    file: Annotated[UploadFile, File(description="CSV (comma/semicolon, UTF-8 or cp1252), Excel .xlsx, GeoJSON or "
                                                     "police feed")],
    format: Annotated[str | None, Form(description="csv, xlsx, geojson or police; default guessed")] = None,
    source: Annotated[str | None, Form(description="Organisation code")] = None,
    mapping: Annotated[str | None, Form(description='JSON object field → column, e.g. {"time": "Datum"}')] = None,
    skip_invalid: Annotated[bool, Form()] = False,
    dry_run: Annotated[bool, Form()] = False,
    timezone: Annotated[str | None, Form(description="Zone of times without an offset; default "
                                                      "LAGESBILD_TIMEZONE")] = None,
) -> dict[str, Any]:
    if format not in (None, "", *FORMATS):
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}, not {format!r}", loc=("body", "format"))
    parsed_mapping = None
    if mapping:
        try:
            parsed_mapping = json.loads(mapping)
        except json.JSONDecodeError:
            raise InvalidInput("mapping must be a JSON object", loc=("body", "mapping")) from None
        if not isinstance(parsed_mapping, dict) or not all(isinstance(v, str) for v in parsed_mapping.values()):
            raise InvalidInput("mapping must be a JSON object of strings", loc=("body", "mapping"))
    if principal.role is Role.reporter:
        source = writing_unit(session, principal, None, ("body", "source"))
    options = ImportOptions(
        filename=file.filename or "upload", format=format or None, source=source,  # type: ignore[arg-type]
        mapping=parsed_mapping, skip_invalid=skip_invalid, dry_run=dry_run, timezone=timezone,
        imported_by=principal.name,
    )
    return run_import(session, file.file, options).as_dict()
