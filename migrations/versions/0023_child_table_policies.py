"""Row-level security for the tables that hang off a tenant table (issue #22), and the recorded causes.

A unit report's observations and linked incidents, a walk's findings, a lighting case's events, a promise's
places and interventions and a cause's interventions are visible and writable exactly when their parent row
is: each policy asks whether the parent is there, and the parent's own policy answers. Before, a direct
database login could read Mjölby's walk findings from a Motala role. `hotspot_causes` (the cause analysis
of a hotspot) gets its municipality like the other tenant tables.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# child table → (parent table, the child's column naming the parent); a second parent where there is one
CHILDREN = {
    "unit_report_observations": [("unit_reports", "report_id")],
    "unit_report_incidents": [("unit_reports", "report_id"), ("incidents", "incident_id")],
    "walk_findings": [("safety_walks", "walk_id")],
    "lighting_report_events": [("lighting_reports", "report_id")],
    "promise_places": [("citizen_promises", "promise_id"), ("places", "place_id")],
    "promise_interventions": [("citizen_promises", "promise_id"), ("interventions", "intervention_id")],
    "cause_interventions": [("hotspot_causes", "cause_id"), ("interventions", "intervention_id")],
}


def upgrade() -> None:
    op.execute("""
        ALTER TABLE hotspot_causes ADD COLUMN municipality_code text NOT NULL DEFAULT '0586'
            REFERENCES municipalities(code);
        ALTER TABLE hotspot_causes ALTER COLUMN municipality_code SET DEFAULT lagesbild_current_municipality();
        ALTER TABLE hotspot_causes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant ON hotspot_causes
            USING (municipality_code = ANY ((SELECT lagesbild_visible_municipalities())::text[]))
            WITH CHECK (municipality_code = ANY ((SELECT lagesbild_visible_municipalities())::text[]));
    """)
    for child, parents in CHILDREN.items():
        seen = " AND ".join(f"EXISTS (SELECT FROM {parent} p WHERE p.id = {child}.{column})"
                            for parent, column in parents)
        # A new link is checked against its first parent only: the second (an incident filed with the report
        # in the same statement) is not yet visible to the check, and the foreign key vouches that it exists.
        parent, column = parents[0]
        owned = f"EXISTS (SELECT FROM {parent} p WHERE p.id = {child}.{column})"
        op.execute(f"""
            ALTER TABLE {child} ENABLE ROW LEVEL SECURITY;
            CREATE POLICY tenant ON {child} USING ({seen}) WITH CHECK ({owned});
        """)


def downgrade() -> None:
    for child in CHILDREN:
        op.execute(f"DROP POLICY tenant ON {child}; ALTER TABLE {child} DISABLE ROW LEVEL SECURITY;")
    op.execute("""
        DROP POLICY tenant ON hotspot_causes;
        ALTER TABLE hotspot_causes DISABLE ROW LEVEL SECURITY;
        ALTER TABLE hotspot_causes DROP COLUMN municipality_code;
    """)
