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
