"""Check incidents' references once per statement instead of once per row.

A foreign key fires one trigger per inserted row and per key; for a bulk import of a million incidents
the four keys (category, source, place, import batch) cost about a third of the insert time. Here the
same rules are enforced with statement-level triggers over the transition table (one anti-join per key
per statement, with FOR KEY SHARE on the referenced rows, as a foreign key takes), and the referenced
tables carry the ON UPDATE CASCADE / ON DELETE SET NULL / restrict behaviour the keys had.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# (incidents column, referenced table, its key, the constraint name it replaces, what the message calls it)
REFERENCES = (
    ("category", "categories", "code", "incidents_category_fkey", "category"),
    ("source", "organisations", "code", "incidents_source_fkey", "source organisation"),
    ("place_id", "places", "id", "incidents_place_id_fkey", "place"),
    ("import_batch_id", "import_batches", "id", "incidents_import_batch_id_fkey", "import batch"),
)
KEY_CHECK = """
    PERFORM 1 FROM {table} WHERE {key} IN (SELECT DISTINCT {column} FROM new_rows WHERE {column} IS NOT NULL)
        FOR KEY SHARE;
    SELECT n.{column}::text INTO missing FROM (SELECT DISTINCT {column} FROM new_rows WHERE {column} IS NOT NULL) n
        WHERE NOT EXISTS (SELECT 1 FROM {table} r WHERE r.{key} = n.{column}) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '{label} % does not exist', missing USING ERRCODE = 'foreign_key_violation',
            CONSTRAINT = '{constraint}', TABLE = 'incidents';
    END IF;"""

CHECK = """
CREATE FUNCTION incidents_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN""" + "".join(KEY_CHECK.format(column=c, table=t, key=k, constraint=n, label=label)
                   for c, t, k, n, label in REFERENCES) + """
    RETURN NULL;
END $$;
"""
CHECK += """CREATE TRIGGER incidents_references_insert AFTER INSERT ON incidents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION incidents_check_references();
CREATE TRIGGER incidents_references_update AFTER UPDATE ON incidents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION incidents_check_references();

-- the referenced side: what ON UPDATE CASCADE, ON DELETE SET NULL and the default restrict did
-- TG_ARGV[0]: the incidents column that holds the code (category or source)
CREATE FUNCTION incidents_follow_code() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    used boolean;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        EXECUTE format('UPDATE incidents SET %I = $1 WHERE %I = $2', TG_ARGV[0], TG_ARGV[0])
            USING NEW.code, OLD.code;
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM incidents WHERE %I = $1)', TG_ARGV[0]) INTO used USING OLD.code;
    IF used THEN
        RAISE EXCEPTION '% % is still used by incidents', TG_TABLE_NAME, OLD.code
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER categories_update_incidents AFTER UPDATE OF code ON categories
    FOR EACH ROW WHEN (OLD.code IS DISTINCT FROM NEW.code) EXECUTE FUNCTION incidents_follow_code('category');
CREATE TRIGGER categories_delete_incidents BEFORE DELETE ON categories
    FOR EACH ROW EXECUTE FUNCTION incidents_follow_code('category');
CREATE TRIGGER organisations_update_incidents AFTER UPDATE OF code ON organisations
    FOR EACH ROW WHEN (OLD.code IS DISTINCT FROM NEW.code) EXECUTE FUNCTION incidents_follow_code('source');
CREATE TRIGGER organisations_delete_incidents BEFORE DELETE ON organisations
    FOR EACH ROW EXECUTE FUNCTION incidents_follow_code('source');

CREATE FUNCTION incidents_forget_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incidents SET place_id = NULL WHERE place_id = OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER places_delete_incidents AFTER DELETE ON places
    FOR EACH ROW EXECUTE FUNCTION incidents_forget_place();

CREATE FUNCTION incidents_forget_batch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incidents SET import_batch_id = NULL WHERE import_batch_id = OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER import_batches_delete_incidents AFTER DELETE ON import_batches
    FOR EACH ROW EXECUTE FUNCTION incidents_forget_batch();
"""


def upgrade() -> None:
    for *_, name, _label in REFERENCES:
        op.execute(f"ALTER TABLE incidents DROP CONSTRAINT IF EXISTS {name}")
    op.execute(CHECK)


def downgrade() -> None:
    op.execute("""
        DROP TRIGGER incidents_references_insert ON incidents;
        DROP TRIGGER incidents_references_update ON incidents;
        DROP TRIGGER categories_update_incidents ON categories;
        DROP TRIGGER categories_delete_incidents ON categories;
        DROP TRIGGER organisations_update_incidents ON organisations;
        DROP TRIGGER organisations_delete_incidents ON organisations;
        DROP TRIGGER places_delete_incidents ON places;
        DROP TRIGGER import_batches_delete_incidents ON import_batches;
        DROP FUNCTION incidents_check_references();
        DROP FUNCTION incidents_follow_code();
        DROP FUNCTION incidents_forget_place();
        DROP FUNCTION incidents_forget_batch();
        ALTER TABLE incidents ADD CONSTRAINT incidents_category_fkey FOREIGN KEY (category)
            REFERENCES categories (code) ON UPDATE CASCADE;
        ALTER TABLE incidents ADD CONSTRAINT incidents_source_fkey FOREIGN KEY (source)
            REFERENCES organisations (code) ON UPDATE CASCADE;
        ALTER TABLE incidents ADD CONSTRAINT incidents_place_id_fkey FOREIGN KEY (place_id)
            REFERENCES places (id) ON DELETE SET NULL;
        ALTER TABLE incidents ADD CONSTRAINT incidents_import_batch_id_fkey FOREIGN KEY (import_batch_id)
            REFERENCES import_batches (id) ON DELETE SET NULL;
    """)
