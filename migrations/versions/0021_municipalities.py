"""Municipalities as tenants (issue #22), enforced by PostgreSQL's row-level security.

- `municipalities` (SCB code, name, county, time zone, extent, optional boundary and population) with
  Mjölby (0586) as the default; `municipality_groups` and their members (a county, a police region, a group
  of municipalities working together).
- Every tenant table gets `municipality_code`, Mjölby for the rows already there.
- One database role per municipality (`lagesbild_m0586`) and per group (`lagesbild_glan05`), none of which
  may log in; each inherits the table privileges of `lagesbild_tenant`. A row is visible to, and may be
  written by, a role that is a member of its municipality's role or of a group role containing it
  (`lagesbild_visible_municipalities()`). The app switches to the caller's role for each transaction
  (app/db.py), so the policy, not an application filter, keeps a municipality's staff to their rows; a
  person given a database login that is a member of `lagesbild_m0583` sees Motala's rows and nothing else,
  whatever SQL they write. The owner (migrations, the command line, background jobs) is not subject to RLS.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL evaluates a policy's condition first and lets a query's own condition use an index only if the
# function behind it is LEAKPROOF. PostGIS marks none of its operators so: under the policy every bbox query
# became a sequential scan (OGC items at 100,000 incidents: 40 ms of PostgreSQL per page instead of 3,
# bench/features.py). These functions compare the stored geometry with the query's and return true or false;
# the errors they can raise concern the query's own geometry or a mix of SRIDs, and every tenant table's
# geometry column is typed with SRID 4326, so they reveal nothing of a row the policy hides. Needs superuser;
# without it the policies still hold, only slower.
LEAKPROOF = ("geometry_overlaps(geometry,geometry)", "geometry_contains(geometry,geometry)",
             "geometry_within(geometry,geometry)", "st_intersects(geometry,geometry)",
             "st_dwithin(geometry,geometry,double precision)", "geography_overlaps(geography,geography)",
             "st_dwithin(geography,geography,double precision,boolean)", "st_intersects(geography,geography)",
             "overlaps_2d(box2df,geometry)", "overlaps_2d(geometry,box2df)", "overlaps_2d(box2df,box2df)",
             "contains_2d(box2df,geometry)", "contains_2d(geometry,box2df)", "contains_2d(box2df,box2df)",
             "is_contained_2d(box2df,geometry)", "is_contained_2d(geometry,box2df)",
             "is_contained_2d(box2df,box2df)", "overlaps_geog(gidx,gidx)", "overlaps_geog(geography,gidx)",
             "overlaps_geog(gidx,geography)")


def _leakproof(on: bool) -> None:
    statements = "; ".join(f"ALTER FUNCTION {f} {'' if on else 'NOT '}LEAKPROOF" for f in LEAKPROOF)
    op.execute(f"""
        DO $$ BEGIN
            IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
                EXECUTE '{statements}';
            ELSE
                RAISE NOTICE 'not superuser: PostGIS operators stay non-leakproof, so bbox queries under '
                             'row-level security cannot use the spatial index';
            END IF;
        END $$""")


TENANT_TABLES = ("incidents", "incident_aggregates", "places", "unit_reports", "interventions", "citizen_promises",
                 "safety_walks", "lamps", "street_segments", "lighting_reports", "users", "api_tokens")


def upgrade() -> None:
    op.execute("""
        CREATE TABLE municipalities (
            code text PRIMARY KEY CHECK (code ~ '^[0-9]{4}$'),
            name text NOT NULL,
            county_code text CHECK (county_code ~ '^[0-9]{2}$'),
            timezone text NOT NULL DEFAULT 'Europe/Stockholm',
            extent geometry(Polygon, 4326) NOT NULL,
            boundary geometry(MultiPolygon, 4326),
            population integer CHECK (population >= 0),
            is_default boolean NOT NULL DEFAULT false
        );
        CREATE UNIQUE INDEX municipalities_one_default ON municipalities (is_default) WHERE is_default;
        CREATE TABLE municipality_groups (
            code text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,40}$'),
            name text NOT NULL,
            kind text NOT NULL CHECK (kind IN ('county', 'police_region', 'group'))
        );
        CREATE TABLE municipality_group_members (
            group_code text NOT NULL REFERENCES municipality_groups(code) ON DELETE CASCADE,
            municipality_code text NOT NULL REFERENCES municipalities(code) ON DELETE CASCADE,
            PRIMARY KEY (group_code, municipality_code)
        );
        INSERT INTO municipalities (code, name, county_code, extent, is_default)
        VALUES ('0586', 'Mjölby kommun', '05', ST_MakeEnvelope(14.85, 58.15, 15.45, 58.50, 4326), true);
        INSERT INTO municipality_groups (code, name, kind) VALUES ('lan05', 'Östergötlands län', 'county');
        INSERT INTO municipality_group_members VALUES ('lan05', '0586');

        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lagesbild_tenant') THEN
                CREATE ROLE lagesbild_tenant NOLOGIN;
            END IF;
        END $$;
        GRANT USAGE ON SCHEMA public TO lagesbild_tenant;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO lagesbild_tenant;
        GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO lagesbild_tenant;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO lagesbild_tenant;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO lagesbild_tenant;
        -- Which municipalities exist and who sees which is the owner's to change, not a tenant's.
        REVOKE INSERT, UPDATE, DELETE ON municipalities, municipality_groups, municipality_group_members
            FROM lagesbild_tenant;

        -- The role of a municipality or a group: created when it is added, granted to whoever adds it (the
        -- app's login role, which switches to it per transaction).
        CREATE FUNCTION lagesbild_tenant_role(role_name text) RETURNS void LANGUAGE plpgsql AS $f$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
                EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE lagesbild_tenant', role_name);
            END IF;
            IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
                EXECUTE format('GRANT %I TO %I', role_name, session_user);
            END IF;
        END $f$;
        CREATE FUNCTION lagesbild_municipality_role() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            PERFORM lagesbild_tenant_role(CASE TG_TABLE_NAME WHEN 'municipalities' THEN 'lagesbild_m' || NEW.code
                                                               ELSE 'lagesbild_g' || NEW.code END);
            RETURN NEW;
        END $f$;
        CREATE TRIGGER municipality_role AFTER INSERT ON municipalities
            FOR EACH ROW EXECUTE FUNCTION lagesbild_municipality_role();
        CREATE TRIGGER municipality_group_role AFTER INSERT ON municipality_groups
            FOR EACH ROW EXECUTE FUNCTION lagesbild_municipality_role();
        SELECT lagesbild_tenant_role('lagesbild_m0586');
        SELECT lagesbild_tenant_role('lagesbild_glan05');

        -- The municipalities the current role may see: those whose role, or a group role containing them,
        -- it is a member of. Evaluated once per statement (the policies call it in a sub-select).
        CREATE FUNCTION lagesbild_visible_municipalities() RETURNS text[] LANGUAGE sql STABLE AS $f$
            SELECT coalesce(array_agg(DISTINCT code), '{}') FROM (
                SELECT m.code FROM municipalities m
                WHERE pg_has_role(current_user, 'lagesbild_m' || m.code, 'USAGE')
                UNION
                SELECT gm.municipality_code FROM municipality_group_members gm
                WHERE pg_has_role(current_user, 'lagesbild_g' || gm.group_code, 'USAGE')) AS visible
        $f$;
        -- A new row's municipality when the writer does not name one: the writer's own (a municipality
        -- role), else the install's default.
        CREATE FUNCTION lagesbild_current_municipality() RETURNS text LANGUAGE sql STABLE AS $f$
            SELECT coalesce(
                (SELECT m.code FROM municipalities m WHERE current_user = 'lagesbild_m' || m.code),
                (SELECT code FROM municipalities WHERE is_default))
        $f$;
    """)
    for table in TENANT_TABLES:
        # A constant default adds the column without rewriting the table; then the per-writer default.
        op.execute(f"""
            ALTER TABLE {table} ADD COLUMN municipality_code text NOT NULL DEFAULT '0586'
                REFERENCES municipalities(code);
            ALTER TABLE {table} ALTER COLUMN municipality_code SET DEFAULT lagesbild_current_municipality();
            ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
            CREATE POLICY tenant ON {table}
                USING (municipality_code = ANY ((SELECT lagesbild_visible_municipalities())::text[]))
                WITH CHECK (municipality_code = ANY ((SELECT lagesbild_visible_municipalities())::text[]));
        """)
    _leakproof(True)
    # The planner estimates the policy's `= ANY(...)` from the column's statistics: gather them now.
    op.execute(f"ANALYZE {', '.join(TENANT_TABLES)}")
    op.execute("""
        ALTER TABLE users ADD COLUMN sees_group text REFERENCES municipality_groups(code);
        ALTER TABLE api_tokens ADD COLUMN sees_group text REFERENCES municipality_groups(code);
    """)


def downgrade() -> None:
    _leakproof(False)
    op.execute("ALTER TABLE users DROP COLUMN sees_group; ALTER TABLE api_tokens DROP COLUMN sees_group;")
    for table in TENANT_TABLES:
        op.execute(f"""
            DROP POLICY tenant ON {table};
            ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
            ALTER TABLE {table} DROP COLUMN municipality_code;
        """)
    op.execute("""
        DROP FUNCTION lagesbild_current_municipality();
        DROP FUNCTION lagesbild_visible_municipalities();
        DROP TABLE municipality_group_members;
        DROP TABLE municipality_groups;
        DROP TABLE municipalities;
        DROP FUNCTION lagesbild_municipality_role();
        DROP FUNCTION lagesbild_tenant_role(text);
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM lagesbild_tenant;
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM lagesbild_tenant;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM lagesbild_tenant;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM lagesbild_tenant;
        REVOKE USAGE ON SCHEMA public FROM lagesbild_tenant;
    """)
