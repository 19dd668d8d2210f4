"""The OGC API's own service description, in OpenAPI 3.0 as the `oas30` conformance class promises.

FastAPI's /openapi.json describes the whole application in OpenAPI 3.1 (nullable as `anyOf` with
null, `examples` arrays), which a 3.0 reader such as GDAL's OAPIF driver or the OGC test suite does not
expect. This document covers the /ogc paths only, written by hand from the same constants the router
uses (collections, parameters, the limit's maximum), so it cannot drift from what the server does.
"""

from __future__ import annotations

from typing import Any

from app.ogc.service import COLLECTIONS, CRS_SRID, ITEMS_PARAMETERS

ERROR = {"$ref": "#/components/responses/Error"}
JSON_BODY = {"application/json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}


def _param(name: str, description: str, schema: dict[str, Any], *, location: str = "query",
           explode: bool | None = None) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": location, "required": location == "path",
                             "description": description, "schema": schema}
    if explode is not None:
        param |= {"style": "form", "explode": explode}
    return param


def document(server_url: str, max_limit: int) -> dict[str, Any]:
    crs_enum = list(CRS_SRID)
    params = {
        "f": _param("f", "Response format; without it the Accept header decides.",
                    {"type": "string", "enum": ["json", "html"]}),
        "collectionId": _param("collectionId", "The collection.", {"type": "string", "enum": list(COLLECTIONS)},
                               location="path"),
        "featureId": _param("featureId", "The feature's id.", {"type": "integer"}, location="path"),
        "bbox": _param("bbox", "Minimum and maximum corner in bbox-crs's axis order (CRS84: lon, lat); 6 "
                       "numbers with heights are accepted and the heights ignored.",
                       {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                       explode=False),
        "bbox-crs": _param("bbox-crs", "The CRS of bbox (Part 2).", {"type": "string", "format": "uri",
                                                                     "enum": crs_enum}),
        "datetime": _param("datetime", "An RFC 3339 instant, a full date (that whole UTC day) or an interval "
                           "('a/b', '../b', 'a/..').", {"type": "string"}),
        "limit": _param("limit", f"Features per page; above {max_limit} is served as {max_limit}.",
                        {"type": "integer", "minimum": 1, "maximum": max_limit, "default": 100}),
        "after": _param("after", "Cursor: the last id of the previous page (the 'next' link carries it).",
                        {"type": "integer", "minimum": 0}),
        "crs": _param("crs", "The CRS of the returned coordinates, in its own axis order (Part 2).",
                      {"type": "string", "format": "uri", "enum": crs_enum}),
        "category": _param("category", "incidents: one or more category codes (others: refused).",
                           {"type": "array", "items": {"type": "string"}}, explode=True),
        "kind": _param("kind", "places: the kind of place (others: refused).", {"type": "string"}),
        "locality": _param("locality", "places: the locality (others: refused).", {"type": "string"}),
    }

    def ref(name: str) -> dict[str, str]:
        return {"$ref": f"#/components/parameters/{name}"}

    def get(summary: str, operation: str, parameters: list[str], content: dict[str, Any]) -> dict[str, Any]:
        return {"get": {"summary": summary, "operationId": operation, "parameters": [ref(p) for p in parameters],
                        "responses": {"200": {"description": summary, "content": content},
                                      "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR}}}

    geojson = {"application/geo+json": {"schema": {"$ref": "#/components/schemas/FeatureCollection"}},
               "text/html": {"schema": {"type": "string"}}}
    feature = {"application/geo+json": {"schema": {"$ref": "#/components/schemas/Feature"}},
               "text/html": {"schema": {"type": "string"}}}
    schema_json = {"application/schema+json": {"schema": {"type": "object"}}}
    items_params = [*ITEMS_PARAMETERS, "category", "kind", "locality"]
    return {
        "openapi": "3.0.3",
        "info": {"title": "Lägesbild – OGC API Features", "version": "1.0",
                 "description": "Incidents, places and hotspots of the ESM work. A query parameter not "
                                "defined here is refused with 400."},
        "servers": [{"url": server_url}],
        "security": [{}, {"bearer": []}, {"basic": []}, {"apiKey": []}],
        "paths": {
            "/": get("Landing page", "getLandingPage", ["f"], JSON_BODY),
            "/conformance": get("Conformance classes", "getConformance", ["f"], JSON_BODY),
            "/api": {"get": {"summary": "This document", "operationId": "getApi",
                             "responses": {"200": {"description": "OpenAPI 3.0", "content": {
                                 "application/vnd.oai.openapi+json;version=3.0": {"schema": {"type": "object"}}}}}}},
            "/collections": get("The collections you may read", "getCollections", ["f"], JSON_BODY),
            "/collections/{collectionId}": get("One collection", "describeCollection", ["collectionId", "f"],
                                               JSON_BODY),
            "/collections/{collectionId}/queryables": get("Queryables (Part 3)", "getQueryables",
                                                          ["collectionId", "f"], schema_json),
            "/collections/{collectionId}/schema": get("Feature schema", "getSchema", ["collectionId", "f"],
                                                      schema_json),
            "/collections/{collectionId}/feature-schema": get("A GeoJSON feature's schema", "getFeatureSchema",
                                                              ["collectionId", "f"], schema_json),
            "/collections/{collectionId}/items": get("Features", "getFeatures",
                                                     ["collectionId", *items_params], geojson),
            "/collections/{collectionId}/items/{featureId}": get("One feature", "getFeature",
                                                                 ["collectionId", "featureId", "crs", "f"], feature),
        },
        "components": {
            "parameters": params,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API token."},
                "basic": {"type": "http", "scheme": "basic", "description": "Any user name, the token as password."},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
            "responses": {"Error": {
                "description": "An error: what is wrong and, in Swedish, msg_sv.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {
                "Error": {"type": "object", "required": ["detail"], "properties": {"detail": {}}},
                "Feature": {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"type": "integer"},
                    "geometry": {"type": "object", "nullable": True},
                    "properties": {"type": "object", "nullable": True},
                    "links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}}}},
                "FeatureCollection": {"type": "object", "required": ["type", "features"], "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": {"$ref": "#/components/schemas/Feature"}},
                    "links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}},
                    "timeStamp": {"type": "string", "format": "date-time"},
                    "numberMatched": {"type": "integer", "minimum": 0},
                    "numberReturned": {"type": "integer", "minimum": 0}}},
                "Link": {"type": "object", "required": ["href"], "properties": {
                    "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
                    "title": {"type": "string"}}},
            },
        },
    }
