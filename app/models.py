"""Every ORM model, imported in one place so Alembic and the app see the whole schema."""

from app.auth.models import ApiToken
from app.db import Base
from app.imports.models import ImportBatch, PoliceEventType
from app.incidents.models import Incident
from app.lighting.models import Lamp, LightingReport, LightingReportEvent, StreetSegment
from app.places.models import Place
from app.reference.models import Category, Organisation

__all__ = [
    "ApiToken", "Base", "Category", "ImportBatch", "Incident", "Lamp", "LightingReport", "LightingReportEvent",
    "Organisation", "Place", "PoliceEventType", "StreetSegment",
]
