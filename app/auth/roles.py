"""Roles and what each may do: one table, read by the dependencies and by the role-matrix test."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    analyst = "analyst"
    planner = "planner"
    technician = "technician"
    reporter = "reporter"


ALL_STAFF = frozenset(Role)

PERMISSIONS: dict[str, frozenset[Role]] = {
    # Incident detail is sensitive: every signed-in role may read, the public never.
    "incidents:read": ALL_STAFF,
    "incidents:create": frozenset({Role.admin, Role.analyst, Role.reporter}),
    "incidents:edit": frozenset({Role.admin, Role.analyst}),
    "places:write": frozenset({Role.admin, Role.analyst}),
    "analysis:read": frozenset({Role.admin, Role.analyst, Role.planner, Role.technician}),
    # Reporters import their own unit's files; the source is then forced to their organisation.
    "imports:write": frozenset({Role.admin, Role.analyst, Role.reporter}),
    "lighting:read": ALL_STAFF,
    "lighting:write": frozenset({Role.admin, Role.technician}),
    # Anyone signed in may report a broken lamp or a dark place, as residents do through Open311 apps.
    "lighting:report": ALL_STAFF,
    "audit:read": frozenset({Role.admin}),
    "users:admin": frozenset({Role.admin}),
    "interventions:read": ALL_STAFF,
    "interventions:write": frozenset({Role.admin, Role.analyst, Role.planner, Role.technician}),
    # Every role reads unit reports (reporters only their own unit's: checked in the service);
    # reporters file for their own unit, analysts and admins for any.
    "reports:read": ALL_STAFF,
    "reports:write": frozenset({Role.admin, Role.analyst, Role.reporter}),
    # Safety walks are done by staff of every unit together with residents: every role records them.
    "walks:read": ALL_STAFF,
    "walks:write": ALL_STAFF,
    "promises:read": ALL_STAFF,
    "promises:write": frozenset({Role.admin, Role.analyst}),
    "policefeed:sync": frozenset({Role.admin, Role.analyst}),
    "statistics:write": frozenset({Role.admin, Role.analyst}),
}


def allowed(role: Role | None, permission: str) -> bool:
    return role is not None and role in PERMISSIONS[permission]
