"""One municipality's view for a county account, and the public view per municipality (issue #22).

- A session may narrow what its role sees to one municipality with the setting `lagesbild.municipality`
  (`SET LOCAL lagesbild.municipality = '0583'`): `lagesbild_visible_municipalities()` then returns that
  municipality if the role sees it and nothing otherwise. The setting can only narrow: a county role that
  sets it sees one of its municipalities, a Motala role that sets it to Mjölby sees nothing. The app sets it
  for a county account's page or request that names one municipality (`?kommun=0583`, `?municipality=`).
- A new row's municipality when the writer does not name one: the narrowed municipality, else the writer's
  own, else the install's default (unchanged for a municipality role).
- Public releases are per municipality (each incident still in at most six tables: its own municipality's).
- A municipality's localities (name, lat, lon), which name hotspots far from any place ("Borensberg, 300 m N
  om centrum"); empty for the default municipality, whose localities stay in data/localities.json.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VISIBLE = """
    SELECT coalesce(array_agg(DISTINCT code), '{}') FROM (
        SELECT m.code FROM municipalities m
        WHERE pg_has_role(current_user, 'lagesbild_m' || m.code, 'USAGE')
        UNION
        SELECT gm.municipality_code FROM municipality_group_members gm
        WHERE pg_has_role(current_user, 'lagesbild_g' || gm.group_code, 'USAGE')) AS visible
"""


def upgrade() -> None:
    op.execute(f"""
        CREATE OR REPLACE FUNCTION lagesbild_visible_municipalities() RETURNS text[] LANGUAGE sql STABLE AS $f$
            {_VISIBLE}
            WHERE code = coalesce(nullif(current_setting('lagesbild.municipality', true), ''), code)
        $f$;
        CREATE OR REPLACE FUNCTION lagesbild_current_municipality() RETURNS text LANGUAGE sql STABLE AS $f$
            SELECT coalesce(
                (SELECT m.code FROM municipalities m
                 WHERE m.code = nullif(current_setting('lagesbild.municipality', true), '')),
                (SELECT m.code FROM municipalities m WHERE current_user = 'lagesbild_m' || m.code),
                (SELECT code FROM municipalities WHERE is_default))
        $f$;
        ALTER TABLE municipalities ADD COLUMN localities jsonb NOT NULL DEFAULT '[]'::jsonb;
        ALTER TABLE public_releases ADD COLUMN municipality_code text REFERENCES municipalities(code);
        UPDATE public_releases SET municipality_code = (SELECT code FROM municipalities WHERE is_default);
        ALTER TABLE public_releases ALTER COLUMN municipality_code SET NOT NULL;
        ALTER TABLE public_releases DROP CONSTRAINT public_releases_pkey;
        ALTER TABLE public_releases ADD PRIMARY KEY (municipality_code, period, group_code);
    """)


def downgrade() -> None:
    op.execute(f"""
        DELETE FROM public_releases WHERE municipality_code <> (SELECT code FROM municipalities WHERE is_default);
        ALTER TABLE public_releases DROP CONSTRAINT public_releases_pkey;
        ALTER TABLE public_releases DROP COLUMN municipality_code;
        ALTER TABLE public_releases ADD PRIMARY KEY (period, group_code);
        ALTER TABLE municipalities DROP COLUMN localities;
        CREATE OR REPLACE FUNCTION lagesbild_visible_municipalities() RETURNS text[] LANGUAGE sql STABLE AS $f$
            {_VISIBLE}
        $f$;
        CREATE OR REPLACE FUNCTION lagesbild_current_municipality() RETURNS text LANGUAGE sql STABLE AS $f$
            SELECT coalesce(
                (SELECT m.code FROM municipalities m WHERE current_user = 'lagesbild_m' || m.code),
                (SELECT code FROM municipalities WHERE is_default))
        $f$;
    """)
