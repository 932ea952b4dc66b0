"""`halo db revision`: the difference between two catalogues becomes a reviewed revision."""

from __future__ import annotations

import psycopg

from migrations.revision import diff_catalogues, read_catalogue
from tests.support.dbtools import ScratchDatabase

CHANGES = """
CREATE TABLE ops.demo_things (id bigint PRIMARY KEY, label text NOT NULL);
GRANT SELECT ON ops.demo_things TO halo_api;
COMMENT ON TABLE ops.demo_things IS 'demo things';
CREATE FUNCTION ops.demo_count() RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT count(*) FROM ops.demo_things $$;
REVOKE ALL ON FUNCTION ops.demo_count() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ops.demo_count() TO halo_api;
CREATE VIEW ops.demo_view AS SELECT id FROM ops.demo_things;
ALTER TABLE ops.job_runs ADD COLUMN demo_note text;
DROP FUNCTION risk.score_of(double precision) CASCADE;
"""


def test_new_and_dropped_objects_become_statements_and_a_checklist(
    db: ScratchDatabase, template_db: ScratchDatabase
) -> None:
    with psycopg.connect(db.owner_url, autocommit=True) as conn:
        conn.execute(CHANGES)
    text = diff_catalogues(read_catalogue(template_db.owner_url), read_catalogue(db.owner_url))
    up = "\n".join(text.upgrade)
    assert "CREATE OR REPLACE FUNCTION ops.demo_count()" in up
    assert "GRANT EXECUTE ON FUNCTION ops.demo_count() TO halo_api;" in up
    assert "REVOKE ALL ON FUNCTION ops.demo_count() FROM PUBLIC;" in up
    assert "CREATE OR REPLACE VIEW ops.demo_view AS" in up
    assert "GRANT SELECT ON TABLE ops.demo_things TO halo_api;" in up
    assert "COMMENT ON TABLE ops.demo_things IS 'demo things';" in up
    assert "DROP FUNCTION IF EXISTS risk.score_of(double precision);" in up
    down = "\n".join(text.downgrade)
    assert "DROP FUNCTION IF EXISTS ops.demo_count();" in down
    assert "CREATE OR REPLACE FUNCTION risk.score_of(" in down
    assert text.checklist[0].startswith("table ops.demo_things added: copy its CREATE TABLE")
    assert any(line.startswith("column ops.job_runs.demo_note added") for line in text.checklist)
    # one line for the new table: not one per column, constraint and index
    assert not any("demo_things.id" in s or "demo_things_pkey" in s for s in text.checklist)


def test_identical_databases_give_an_empty_revision(template_db: ScratchDatabase) -> None:
    catalogue = read_catalogue(template_db.owner_url)
    text = diff_catalogues(catalogue, catalogue)
    assert (text.upgrade, text.downgrade, text.checklist) == ([], [], [])
