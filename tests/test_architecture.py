"""The shape of the house, checked: layering rules, typed results, described bodies.

The layering rules (docs/architecture.md): geo/ imports nothing of app/; services import no routers,
no request dependencies and no web pages; analysis results are parsed back nowhere.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from app.main import create_app

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_geo_imports_nothing_of_the_app() -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imports(p) if m == "app" or m.startswith("app."))
                 for p in (ROOT / "geo").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_services_import_no_routers_dependencies_or_pages() -> None:
    layers = [p for p in (ROOT / "app").rglob("*.py") if p.parent.name != "web" and p.name not in ("main.py", "deps.py")
              and "APIRouter(" not in p.read_text(encoding="utf-8")]  # routers may use the dependencies
    bad = re.compile(r"^app\.(web(\..*)?|deps|main|.*\.router)$")
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imports(p) if bad.match(m)) for p in layers}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_analysis_results_are_not_parsed_back() -> None:
    """Analyses return typed results (app/analysis/results.py); only the edge serialises them."""
    pattern = re.compile(r"orjson\.loads\(\s*analysis\.")
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "app").rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def _is_bare_object(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" and "properties" not in schema and "$ref" not in schema


def test_every_json_request_body_has_a_schema() -> None:
    """No endpoint takes a free-form dict: the OpenAPI document describes every JSON body it accepts."""
    document = create_app().openapi()
    bare = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media_type, spec in content.items():
                schema = spec.get("schema", {})
                if media_type.endswith("json") and (not schema or _is_bare_object(schema)):
                    bare.append(f"{method.upper()} {path}")
    assert bare == []


def test_analysis_responses_are_described() -> None:
    document = create_app().openapi()
    for name in ("clusters", "gistar", "density", "time-profile", "compare", "emerging", "near-repeat", "evaluate"):
        content = document["paths"][f"/api/v1/analysis/{name}"]["get"]["responses"]["200"]["content"]
        (schema,) = [c["schema"] for c in content.values()]
        assert schema["$ref"].startswith("#/components/schemas/"), name


def test_documented_feature_shapes_match_what_is_served(client: Any, tokens: dict[str, str]) -> None:
    """Incidents and places are served as PostgreSQL writes them (no re-serialisation); the models that
    document them must still describe every field."""
    from app.incidents.schemas import IncidentCollection, IncidentFeature
    from app.places.schemas import PlaceCollection, PlaceFeature
    from tests.conftest import auth

    made = client.post("/api/v1/incidents", headers=auth(tokens["admin"]), json={
        "lon": 15.13, "lat": 58.323, "category": "vald", "occurred_at": "2025-01-01T20:00:00Z"}).json()
    for model, body in ((IncidentFeature, made),
                        (IncidentCollection, client.get("/api/v1/incidents", headers=auth(tokens["admin"])).json()),
                        (PlaceFeature, client.get("/api/v1/places/1").json()),
                        (PlaceCollection, client.get("/api/v1/places", headers=auth(tokens["admin"])).json())):
        model.model_validate(body)
        features = body.get("features", [body])
        feature_model = model.model_fields["features"].annotation.__args__[0] if "features" in body else model
        assert features
        for feature in features:
            assert set(feature) == set(feature_model.model_fields)
            properties = feature_model.model_fields["properties"].annotation
            assert set(feature["properties"]) <= set(properties.model_fields), properties


def test_every_stored_code_has_a_word_in_both_languages() -> None:
    """The one catalogue (app/i18n.py) names every code the database allows, in Swedish and English."""
    from typing import get_args

    from app.auth.roles import Role
    from app.i18n import LABELS
    from app.interventions.models import INTERVENTION_KINDS, INTERVENTION_STATUSES
    from app.lighting.service import TRANSITIONS
    from app.walks.models import FINDING_KINDS, FINDING_PRIORITIES, FINDING_STATUSES
    from app.walks.schemas import FindingKind
    from geo.temporal import EMERGING_CLASSES

    expected = {"role": {r.value for r in Role}, "intervention_kind": set(INTERVENTION_KINDS),
                "intervention_status": set(INTERVENTION_STATUSES), "finding_kind": set(FINDING_KINDS),
                "priority": set(FINDING_PRIORITIES), "finding_status": set(FINDING_STATUSES),
                "lighting_status": set(TRANSITIONS), "lighting_kind": {"fault", "dark_spot"},
                "emerging": {f"{c}_{k}" for c in EMERGING_CLASSES for k in ("hot", "cold")}}
    assert set(get_args(FindingKind)) == set(FINDING_KINDS)
    for group, codes in expected.items():
        assert set(LABELS[group]) == codes, group
        assert all(sv and en for sv, en in LABELS[group].values()), group
