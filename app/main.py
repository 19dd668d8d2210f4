"""App factory: routers, error handlers, limits, lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from app import health
from app.analysis import runner as analysis_runner
from app.analysis.router import router as analysis_router
from app.audit.middleware import AuditTrail, reads
from app.audit.router import router as audit_router
from app.auth.service import TokenCache
from app.compression import CompressData
from app.config import get_settings
from app.db import database_url, get_engine, libpq_url
from app.errors import install_error_handlers
from app.exports.router import router as exports_router
from app.imports.router import router as imports_router
from app.incidents.router import router as incidents_router
from app.interventions.router import router as interventions_router
from app.lighting.router import router as lighting_router
from app.limits import BodySizeLimit, HeadAsGet, RateLimit, SecurityHeaders
from app.municipalities.router import router as municipalities_router
from app.ogc.router import router as ogc_router
from app.open311.router import router as open311_router
from app.paths import FRONTEND
from app.patrol.router import router as patrol_router
from app.places.router import router as places_router
from app.policefeed.router import router as police_feed_router
from app.promises.router import router as promises_router
from app.public.router import router as public_router
from app.reference.router import router as reference_router
from app.reports.router import router as reports_router
from app.statistics.router import router as statistics_router
from app.tiles import router as tiles_router
from app.walks.router import router as walks_router
from app.web.account import router as account_router
from app.web.admin import router as admin_router
from app.web.errors import install_page_errors
from app.web.esm import router as esm_router
from app.web.imports import router as import_web_router
from app.web.lighting import router as lighting_web_router
from app.web.router import router as web_router
from app.web.signin import router as signin_router
from app.web.walks import router as walks_web_router


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app's own state is made here and held on `app.state`: the token cache with its revocation
    listener. The analysis process and the audit writer start and stop here too."""
    freeze_startup_objects()
    analysis_runner.enable()  # analyses in a child process, off this event loop
    app.state.tokens = TokenCache()
    app.state.tokens.start(lambda: libpq_url(database_url()))
    feed = _police_feed_job()
    yield
    if feed is not None:
        feed.stop()
    app.state.tokens.stop()
    reads.flush(timeout=5.0)  # the audit rows of the last reads, before the connections go
    get_engine().dispose()


def _police_feed_job() -> Any:
    """The police feed's background fetch, when LAGESBILD_POLICE_FEED_INTERVAL_MINUTES is set."""
    minutes = get_settings().police_feed_interval_minutes
    if minutes <= 0:
        return None
    from app.db import session_factory
    from app.policefeed.service import SyncJob

    job = SyncJob(session_factory(), minutes)
    job.start()
    return job


def freeze_startup_objects() -> None:
    """Move the ~300,000 objects of the loaded app (routes, models, libraries) out of the garbage
    collector's view. A full collection walks every tracked object: 100-200 ms on this machine, a pause
    for every request in flight, and the tail of bench/features.py's latency. What the app allocates
    later is still collected as usual."""
    from sqlalchemy.orm import configure_mappers

    import app.models  # noqa: F401

    configure_mappers()
    gc.collect()
    gc.freeze()


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="Lägesbild",
        summary="Incident mapping and hotspot analysis for a municipality's (or a county's) ESM work",
        version="0.1.0",
        lifespan=lifespan,
    )
    api = APIRouter(prefix="/api/v1")
    api.include_router(places_router)
    api.include_router(incidents_router)
    api.include_router(reference_router)
    api.include_router(imports_router)
    api.include_router(analysis_router)
    api.include_router(exports_router)
    api.include_router(tiles_router)
    api.include_router(lighting_router)
    api.include_router(patrol_router)
    api.include_router(audit_router)
    api.include_router(public_router)
    api.include_router(interventions_router)
    api.include_router(reports_router)
    api.include_router(walks_router)
    api.include_router(promises_router)
    api.include_router(police_feed_router)
    api.include_router(statistics_router)
    api.include_router(municipalities_router)
    # routes are matched in order: the busiest read paths (OGC items for QGIS, the API) first
    app.include_router(ogc_router)
    app.include_router(api)
    app.include_router(open311_router)
    app.include_router(health.router)
    app.include_router(web_router)
    app.include_router(signin_router)
    app.include_router(esm_router)
    app.include_router(walks_web_router)
    app.include_router(admin_router)
    app.include_router(account_router)
    app.include_router(import_web_router)
    app.include_router(lighting_web_router)
    app.mount("/static", StaticFiles(directory=FRONTEND / "static"), name="static")
    install_error_handlers(app)
    install_page_errors(app)
    app.add_middleware(RateLimit)
    app.add_middleware(AuditTrail)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, upload_bytes=settings.max_upload_bytes,
                       upload_prefixes=("/api/v1/imports", "/importera"))
    app.add_middleware(SecurityHeaders, tile_url=settings.tile_url or None)
    app.add_middleware(CompressData)
    app.add_middleware(HeadAsGet)
    return app
