"""Open311 GeoReport v2 over the lighting reports: the services, requests in JSON and XML, discovery.

The specification (wiki.open311.org/GeoReport_v2) is followed as fault-reporting apps use it:
- services, service definitions, requests (create, list, one) and discovery, each as .json or .xml;
- the list filters service_request_id, service_code, start_date, end_date and status (comma lists),
  by default the last 90 days, at most 1,000 requests;
- a request located by lat/long, or by address_string alone: a place or street of the municipality's
  street base (the house number and ", <locality>" are dropped when the whole text is not found);
- errors as [{"code", "description"}] (app/errors.py).

The public sees what the public map shows: the kind, status, day and the 250 m square, no free text,
no photo link; date filters are read to the day for them, so they cannot find a report's minute.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse
from xml.etree import ElementTree

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.auth.roles import allowed
from app.auth.service import Principal
from app.config import get_settings
from app.errors import InvalidInput, NotFound
from app.lighting import service as lighting
from app.places.lookup import resolve_where

SERVICES = [
    {"service_code": "streetlight", "service_name": "Trasig gatubelysning", "description":
     "En gatlykta lyser inte eller blinkar.", "metadata": False, "type": "realtime",
     "keywords": "belysning,lampa,gatlykta", "group": "Belysning"},
    {"service_code": "dark_place", "service_name": "Mörk plats", "description":
     "En plats som känns mörk och otrygg och behöver bättre belysning.", "metadata": False, "type": "realtime",
     "keywords": "mörker,otrygghet", "group": "Belysning"},
]
KIND_FOR_SERVICE = {"streetlight": "fault", "dark_place": "dark_spot"}
SERVICE_FOR_KIND = {v: k for k, v in KIND_FOR_SERVICE.items()}
OPEN311_STATUS = {"reported": "open", "confirmed": "open", "scheduled": "open", "fixed": "closed", "rejected": "closed"}
NOTICE = "Tack! Felanmälan är mottagen. Vi lagrar inte namn, e-post eller telefonnummer."
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000
# XML element names for the items of each list (GeoReport v2's XML examples)
XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "endpoints": "endpoint",
             "formats": "format", "attributes": "attribute"}


def service_definition(service_code: str) -> dict[str, Any]:
    if service_code not in KIND_FOR_SERVICE:
        raise NotFound(f"unknown service_code {service_code!r}; services: {', '.join(KIND_FOR_SERVICE)}",
                       loc=("path", "service_code"))
    return {"service_code": service_code, "attributes": []}  # no extra questions (metadata false)


def discovery(base_url: str, changeset: datetime) -> dict[str, Any]:
    stamp = changeset.astimezone(UTC).isoformat(timespec="seconds")
    return {"changeset": stamp, "contact": "Kommunens tekniska förvaltning (the municipality's technical services)",
            "key_service": "An api_key is a Lägesbild token with a reporting role (lagesbild token create).",
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base_url,
                           "changeset": stamp, "type": "production",
                           "formats": ["application/json", "text/xml"]}]}


def _staff(principal: Principal | None) -> bool:
    return principal is not None and allowed(principal.role, "lighting:read")


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(get_settings().timezone)


def _snap(lat: float, lon: float, cell: float = 250.0) -> tuple[float, float]:
    """The centre of the 250 m SWEREF 99 TM square holding the point."""
    from geo.crs import to_sweref, to_wgs84

    x, y = to_sweref([lon], [lat])
    cx, cy = (math.floor(x[0] / cell) + 0.5) * cell, (math.floor(y[0] / cell) + 0.5) * cell
    slon, slat = to_wgs84([cx], [cy])
    return round(float(slat[0]), 5), round(float(slon[0]), 5)


def _as_request(row: Any, staff: bool) -> dict[str, Any]:
    """A request as GeoReport v2 lists it. The reporter's free text and photo can name people and homes
    ("dark outside my door at …"), so only staff who may read lighting reports see them; the public gets
    the kind, status, day and the 250 m square."""
    lat, lon, created, updated = row.lat, row.lon, row.created_at, row.updated_at
    address = row.address or row.street
    if not staff:  # as the public cells: a 250 m square's centre and the day, not a doorstep and a second
        lat, lon = _snap(lat, lon)
        created, updated = _day(created), _day(updated)
        address = row.street
    return {"service_request_id": str(row.id), "status": OPEN311_STATUS[row.status],
            "status_notes": lighting.STATUS_SV[row.status], "service_name": lighting.KIND_SV[row.kind],
            "service_code": SERVICE_FOR_KIND[row.kind], "description": row.description if staff else None,
            "agency_responsible": f"{row.municipality}, gatubelysning", "service_notice": None,
            "requested_datetime": created.isoformat(), "updated_datetime": updated.isoformat(),
            "expected_datetime": None, "address": address, "address_id": None, "zipcode": None,
            "lat": lat, "long": lon, "media_url": row.media_url if staff else None}


_REQUEST_SQL = """SELECT r.id, r.kind, r.status, r.description, r.created_at, r.updated_at, r.address, r.media_url,
    ST_Y(r.geom) AS lat, ST_X(r.geom) AS lon, s.street, m.name AS municipality
    FROM lighting_reports r LEFT JOIN street_segments s ON s.id = r.segment_id
    JOIN municipalities m ON m.code = r.municipality_code"""


def _csv(value: str | None, name: str) -> list[str]:
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    if value is not None and not items:
        raise InvalidInput(f"{name} is empty", loc=("query", name))
    return items


def _w3c(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not a W3C date-time (2026-11-30T12:00:00+01:00)",
                           loc=("query", name)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=_zone())


def list_requests(session: Session, principal: Principal | None, *, service_request_id: str | None,
                  service_code: str | None, start_date: str | None, end_date: str | None,
                  status: str | None) -> list[dict[str, Any]]:
    staff = _staff(principal)
    where, params = ["TRUE"], dict[str, Any]()
    ids = _csv(service_request_id, "service_request_id")
    if ids:  # the spec: with ids, the other filters are ignored
        if not all(i.isdigit() and len(i) < 10 for i in ids):
            raise InvalidInput("service_request_id must be request ids separated by commas",
                               loc=("query", "service_request_id"))
        where.append("r.id = ANY(:ids)")
        params["ids"] = [int(i) for i in ids]
    else:
        codes = _csv(service_code, "service_code")
        unknown = [c for c in codes if c not in KIND_FOR_SERVICE]
        if unknown:
            raise InvalidInput(f"unknown service_code {unknown[0]!r}; services: {', '.join(KIND_FOR_SERVICE)}",
                               loc=("query", "service_code"))
        if codes:
            where.append("r.kind = ANY(:kinds)")
            params["kinds"] = [KIND_FOR_SERVICE[c] for c in codes]
        states = _csv(status, "status")
        if any(s not in ("open", "closed") for s in states):
            raise InvalidInput("status must be open, closed or open,closed", loc=("query", "status"))
        if states and len(set(states)) == 1:
            wanted = [k for k, v in OPEN311_STATUS.items() if v == states[0]]
            where.append("r.status = ANY(:states)")
            params["states"] = wanted
        start, end = _w3c(start_date, "start_date"), _w3c(end_date, "end_date")
        if start is None and end is None:
            start = datetime.now(UTC) - timedelta(days=DEFAULT_DAYS)
        if start and end and end < start:
            raise InvalidInput("end_date is before start_date", loc=("query", "end_date"))
        if not staff:  # to the day, as the public sees the times: no bisecting to a report's minute
            start = _day(start) if start else None
            end = _day(end) + timedelta(days=1) if end else None
        if start:
            where.append("r.created_at >= :start")
            params["start"] = start
        if end:
            where.append("r.created_at <= :end" if staff else "r.created_at < :end")
            params["end"] = end
    rows = session.execute(text(f"{_REQUEST_SQL} WHERE {' AND '.join(where)} ORDER BY r.created_at DESC, r.id DESC "
                                f"LIMIT {MAX_REQUESTS}"), params).all()
    return [_as_request(r, staff) for r in rows]


def _day(moment: datetime) -> datetime:
    return moment.astimezone(_zone()).replace(hour=0, minute=0, second=0, microsecond=0)


def one_request(session: Session, principal: Principal | None, request_id: int) -> list[dict[str, Any]]:
    row = session.execute(text(_REQUEST_SQL + " WHERE r.id = :id"), {"id": request_id}).first()
    if row is None:
        raise NotFound(f"service request {request_id} does not exist", loc=("path", "request_id"))
    return [_as_request(row, _staff(principal))]


def locate(session: Session, address: str) -> tuple[float, float, str] | None:
    """An address → (lon, lat, how): a place of Mjölby (its middle) or a street (the middle of its longest
    stretch). Tried as given, then without a trailing house number and ", town"."""
    candidates = [address.strip()]
    head = address.split(",")[0].strip()
    bare = re.sub(r"\s+\d+\s*[a-zA-Z]?$", "", head).strip()
    candidates += [c for c in (head, bare) if c and c not in candidates]
    for candidate in candidates:
        found = resolve_where(session, candidate)
        if found is None:
            continue
        if "place_id" in found:
            lon, lat = session.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p "
                                            "FROM places WHERE id = :id) x"), {"id": found["place_id"]}).one()
            return float(lon), float(lat), "place"
        return float(found["lon"]), float(found["lat"]), "street"
    return None


def create_request(session: Session, principal: Principal, *, service_code: str, lat: float | None,
                   long: float | None, address_string: str | None, address_id: str | None,
                   description: str | None, media_url: str | None) -> list[dict[str, Any]]:
    if service_code not in KIND_FOR_SERVICE:
        raise InvalidInput(f"unknown service_code {service_code!r}; services: {', '.join(KIND_FOR_SERVICE)}",
                           loc=("body", "service_code"))
    if (lat is None) != (long is None):
        raise InvalidInput("lat and long go together: send both, or an address_string",
                           loc=("body", "long" if long is None else "lat"))
    if media_url is not None:
        media_url = media_url.strip() or None
        parsed = urlparse(media_url or "")
        if media_url and (parsed.scheme not in ("http", "https") or not parsed.netloc or len(media_url) > 1000):
            raise InvalidInput("media_url must be an http(s) link of at most 1,000 characters",
                               loc=("body", "media_url"))
    address = (address_string or "").strip()[:300] or None
    located_by = "position"
    if lat is None or long is None:
        if address is None:
            if address_id:
                raise InvalidInput("address_id is not used here; send address_string or lat and long",
                                   loc=("body", "address_id"))
            raise InvalidInput("a request needs a location: lat and long, or an address_string",
                               loc=("body", "lat"))
        found = locate(session, address)
        if found is None:
            raise InvalidInput(f"address_string {address!r} names no street or place in the street base; "
                               "send lat and long", loc=("body", "address_string"))
        long, lat, located_by = found
    report_id = lighting.create_report(
        session, kind=KIND_FOR_SERVICE[service_code], lon=long, lat=lat, description=description,
        reported_by=f"open311:{principal.name}", source=principal.organisation or "allmanheten",
        address=address, media_url=media_url, located_by=located_by)
    return [{"service_request_id": str(report_id), "service_notice": NOTICE, "account_id": None}]


def to_xml(root: str, body: Any) -> bytes:
    """GeoReport v2's XML: a list becomes its root with one element per item (services → service,
    service_requests → request), a dict its fields; None an empty element. Escaped by ElementTree."""
    def fill(element: ElementTree.Element, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                fill(ElementTree.SubElement(element, key), item)
        elif isinstance(value, list):
            for item in value:
                fill(ElementTree.SubElement(element, XML_ITEMS.get(element.tag, "item")), item)
        elif isinstance(value, bool):
            element.text = "true" if value else "false"
        elif value is not None:
            element.text = str(value)

    top = ElementTree.Element(root)
    fill(top, body)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(top, encoding="utf-8",
                                                                            xml_declaration=False)
