"""Every ORM model, imported in one place so Alembic and the app see the whole schema.

tests/test_schema.py checks that `alembic.autogenerate.compare_metadata` against a migrated database
finds nothing: every table, column and index of the migrations is described here once.
"""

from app.audit.models import AuditEntry
from app.auth.models import ApiToken, User, WebSession
from app.basemap.models import BasemapFeature
from app.causes.models import HotspotCause, cause_interventions
from app.db import Base
from app.imports.models import ImportBatch, PoliceEventType
from app.incidents.models import Incident, IncidentAggregate
from app.interventions.models import Intervention
from app.lighting.models import Lamp, LightingReport, LightingReportEvent, StreetSegment
from app.municipalities.models import Municipality, MunicipalityGroup, MunicipalityGroupMember
from app.places.models import Place
from app.policefeed.models import PoliceFeedFetch
from app.promises.models import CitizenPromise, promise_interventions, promise_places
from app.public.models import PublicRelease
from app.reference.models import Category, Organisation
from app.reports.models import UnitReport, UnitReportObservation, unit_report_incidents
from app.statistics.models import AreaStatistic, SurveyIndex
from app.walks.models import SafetyWalk, WalkFinding

__all__ = [
    "ApiToken", "AreaStatistic", "AuditEntry", "Base", "BasemapFeature", "Category", "CitizenPromise",
    "HotspotCause", "ImportBatch", "Incident", "IncidentAggregate", "Intervention", "Lamp", "LightingReport",
    "LightingReportEvent", "Municipality", "MunicipalityGroup", "MunicipalityGroupMember",
    "Organisation", "Place", "PoliceEventType", "PoliceFeedFetch", "PublicRelease",
    "SafetyWalk", "StreetSegment", "SurveyIndex", "UnitReport", "UnitReportObservation", "User", "WalkFinding",
    "WebSession", "cause_interventions", "promise_interventions", "promise_places", "unit_report_incidents",
]
