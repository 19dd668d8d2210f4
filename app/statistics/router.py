"""Reference statistics: Brå's reported crimes and SCB's population in, rates per 100,000 out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile

from app.auth.service import Principal
from app.deps import SessionDep, require
from app.municipalities.service import focus
from app.statistics import service
from app.statistics.schemas import StatisticsReport, YearRatesOut

router = APIRouter(prefix="/statistics", tags=["statistics"])
Writer = Annotated[Principal, Depends(require("statistics:write"))]


@router.get("/rates", response_model=list[YearRatesOut],
            summary="Reported crimes per 100,000 inhabitants: the municipality, its county and the country")
def rates(session: SessionDep, _: Annotated[Principal, Depends(require("analysis:read"))]) -> list[YearRatesOut]:
    return [YearRatesOut(year=year, **{level: by.get(level) for level in ("municipality", "county", "country")})
            for year, by in service.local_rates(session, focus(session).code)]


@router.post("/bra", response_model=StatisticsReport, summary="Import Brå's reported crimes per municipality")
def import_bra(session: SessionDep, _: Writer, file: Annotated[UploadFile, File()],
               year: Annotated[int | None, Form(ge=1950, le=2100)] = None) -> StatisticsReport:
    return service.import_bra(session, file.file, year)


@router.post("/survey", response_model=StatisticsReport,
             summary="Import the police's trygghetsmätning (Område;Problem;Index, 0–6)")
def import_survey(session: SessionDep, _: Writer, file: Annotated[UploadFile, File()],
                  year: Annotated[int | None, Form(ge=1950, le=2100)] = None) -> StatisticsReport:
    return service.import_survey(session, file.file, year)


@router.post("/population", response_model=StatisticsReport, summary="Import SCB's population per region")
def import_population(session: SessionDep, _: Writer, file: Annotated[UploadFile, File()]) -> StatisticsReport:
    return service.import_population(session, file.file)
