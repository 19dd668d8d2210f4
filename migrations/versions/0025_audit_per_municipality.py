"""The audit trail per municipality (issue #22): an admin reads their own municipality's rows.

Each row names the municipality the request concerned (the caller's own, or the one a county account
narrowed to) and, for a county or police-region account, its group. A row is visible to a role that sees
its municipality or belongs to its group; rows with neither (anonymous requests, the command line) to the
install's default municipality, which runs the install. Rows written in a tenant's own transaction (user
changes, imports) take both from the writer's role by default.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEES = """(municipality_code = ANY ((SELECT lagesbild_visible_municipalities())::text[])
            OR (group_code IS NOT NULL AND pg_has_role(current_user, 'lagesbild_g' || group_code, 'USAGE'))
            OR (municipality_code IS NULL AND group_code IS NULL
                AND (SELECT code FROM municipalities WHERE is_default)
                    = ANY ((SELECT lagesbild_visible_municipalities())::text[])))"""


def upgrade() -> None:
    op.execute(f"""
        -- The group of a county role that has not narrowed to one municipality, else NULL.
        CREATE FUNCTION lagesbild_current_group() RETURNS text LANGUAGE sql STABLE AS $f$
            SELECT CASE WHEN current_user ~ '^lagesbild_g'
                             AND nullif(current_setting('lagesbild.municipality', true), '') IS NULL
                        THEN substr(current_user, 12) END
        $f$;
        -- A constant default adds the columns without rewriting the table (every row so far was the default
        -- municipality's, as in migration 0021); then the per-writer defaults.
        ALTER TABLE audit_log ADD COLUMN municipality_code text DEFAULT '0586', ADD COLUMN group_code text;
        ALTER TABLE audit_log ALTER COLUMN municipality_code
            SET DEFAULT (CASE WHEN lagesbild_current_group() IS NULL THEN lagesbild_current_municipality() END);
        ALTER TABLE audit_log ALTER COLUMN group_code SET DEFAULT lagesbild_current_group();
        ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant ON audit_log USING {_SEES} WITH CHECK {_SEES};
    """)


def downgrade() -> None:
    op.execute("""
        DROP POLICY tenant ON audit_log;
        ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY;
        ALTER TABLE audit_log DROP COLUMN municipality_code, DROP COLUMN group_code;
        DROP FUNCTION lagesbild_current_group();
    """)
