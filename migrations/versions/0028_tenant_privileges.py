"""A tenant's role can touch nothing shared (issue #34).

Migration 0021 granted every municipality's role SELECT, INSERT, UPDATE and DELETE on every table and
UPDATE on every sequence, and only the tables with a municipality column had a policy. An outside test
with `SET ROLE lagesbild_m0583` turned its own web session into a county admin's (UPDATE web_sessions),
rewrote the categories, deleted Mjölby's public releases (forcing a fresh noise draw) and reset
data_version_seq. Now:

- sequences: USAGE and SELECT only (nextval for its own inserts), never UPDATE (setval);
- shared reference data (categories, organisations, police event types, Brå's and SCB's statistics, the
  street base, the feed's log, the schema's version, PostGIS's spatial_ref_sys): read only; the owner
  changes it (the command line, migrations, background jobs);
- web_sessions: a tenant sees and deletes only the sessions of its own users and tokens (a policy
  through the users and api_tokens policies), and updates none;
- public_releases: a tenant reads and adds only its own municipality's, and never changes or deletes
  one (the noise of a released figure is drawn once);
- import_batches: per municipality, like every other tenant table.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READ_ONLY = ("alembic_version", "spatial_ref_sys", "categories", "organisations", "police_event_types",
             "area_statistics", "basemap_features", "police_feed_fetches")
VISIBLE = "municipality_code = ANY ((SELECT lagesbild_visible_municipalities())::text[])"


# The incidents' statement-level reference check (migration 0011) locks the categories and organisations it
# names FOR KEY SHARE, which needs an UPDATE privilege. A function of the owner's takes those locks, so
# the tenant's role keeps none; places and import batches are still checked under the tenant's own role.
SHARE = """
CREATE FUNCTION lagesbild_key_share_codes(tbl text, codes text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
    IF tbl NOT IN ('categories', 'organisations') THEN
        RAISE EXCEPTION 'lagesbild_key_share_codes: % is not a shared code table', tbl;
    END IF;
    EXECUTE format('SELECT 1 FROM %I WHERE code = ANY($1) FOR KEY SHARE', tbl) USING codes;
END $f$;
REVOKE ALL ON FUNCTION lagesbild_key_share_codes(text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lagesbild_key_share_codes(text, text[]) TO lagesbild_tenant;
"""


def _check_function(shared_by_owner: bool) -> str:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "references_0011", Path(__file__).with_name("0011_statement_level_references.py"))
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    body = []
    for column, table, key, constraint, label in old.REFERENCES:
        check = old.KEY_CHECK.format(column=column, table=table, key=key, constraint=constraint, label=label)
        if shared_by_owner and table in ("categories", "organisations"):
            check = check.replace(
                f"PERFORM 1 FROM {table} WHERE {key} IN (SELECT DISTINCT {column} FROM new_rows WHERE {column} IS "
                "NOT NULL)\n        FOR KEY SHARE;",
                f"PERFORM lagesbild_key_share_codes('{table}', ARRAY(SELECT DISTINCT {column}::text FROM new_rows "
                f"WHERE {column} IS NOT NULL));")
        body.append(check)
    return ("CREATE OR REPLACE FUNCTION incidents_check_references() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "DECLARE\n    missing text;\nBEGIN" + "".join(body) + "\n    RETURN NULL;\nEND $$;")


def upgrade() -> None:
    op.execute(SHARE)
    op.execute(_check_function(True))
    op.execute(f"""
        REVOKE UPDATE ON ALL SEQUENCES IN SCHEMA public FROM lagesbild_tenant;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO lagesbild_tenant;
        REVOKE ALL ON SEQUENCE population_squares_id_seq FROM lagesbild_tenant;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE UPDATE ON SEQUENCES FROM lagesbild_tenant;
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {", ".join(READ_ONLY)} FROM lagesbild_tenant;

        REVOKE UPDATE, TRUNCATE ON web_sessions FROM lagesbild_tenant;
        ALTER TABLE web_sessions ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant ON web_sessions
            USING (EXISTS (SELECT 1 FROM users u WHERE u.id = web_sessions.user_id)
                   OR EXISTS (SELECT 1 FROM api_tokens t WHERE t.id = web_sessions.token_id));

        REVOKE UPDATE, DELETE, TRUNCATE ON public_releases FROM lagesbild_tenant;
        ALTER TABLE public_releases ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant ON public_releases USING ({VISIBLE}) WITH CHECK ({VISIBLE});

        ALTER TABLE import_batches ADD COLUMN municipality_code text NOT NULL DEFAULT '0586'
            REFERENCES municipalities(code);
        ALTER TABLE import_batches ALTER COLUMN municipality_code SET DEFAULT lagesbild_current_municipality();
        ALTER TABLE import_batches ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant ON import_batches USING ({VISIBLE}) WITH CHECK ({VISIBLE});
    """)


def downgrade() -> None:
    op.execute(_check_function(False))
    op.execute("DROP FUNCTION lagesbild_key_share_codes(text, text[])")
    op.execute(f"""
        DROP POLICY tenant ON import_batches;
        ALTER TABLE import_batches DISABLE ROW LEVEL SECURITY;
        ALTER TABLE import_batches DROP COLUMN municipality_code;
        DROP POLICY tenant ON public_releases;
        ALTER TABLE public_releases DISABLE ROW LEVEL SECURITY;
        GRANT UPDATE, DELETE ON public_releases TO lagesbild_tenant;
        DROP POLICY tenant ON web_sessions;
        ALTER TABLE web_sessions DISABLE ROW LEVEL SECURITY;
        GRANT UPDATE ON web_sessions TO lagesbild_tenant;
        GRANT INSERT, UPDATE, DELETE ON {", ".join(READ_ONLY)} TO lagesbild_tenant;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT UPDATE ON SEQUENCES TO lagesbild_tenant;
        GRANT UPDATE ON ALL SEQUENCES IN SCHEMA public TO lagesbild_tenant;
    """)
