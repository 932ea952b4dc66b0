-- 0002_ingestion: downgrade. Drops what sql/040_ingestion.sql adds (views and functions
-- first, then the columns); the boundary and gazetteer rows themselves are data and stay.
DROP VIEW IF EXISTS raw.polisen_location_quality;
DROP VIEW IF EXISTS ref.gazetteer;
DROP FUNCTION IF EXISTS raw.merge_incident_staging(smallint);
DROP FUNCTION IF EXISTS raw.create_incident_staging();
DROP FUNCTION IF EXISTS ref.upsert_curated_place(
    text, text, double precision, double precision, real, text[], text[]);
DROP FUNCTION IF EXISTS ref.sync_boundary_places(text, text);
DROP FUNCTION IF EXISTS ref.upsert_district(text, text, text, text);
DROP FUNCTION IF EXISTS ref.upsert_municipality(text, text, text);
DROP FUNCTION IF EXISTS ref.multipolygon_from_geojson(text);
ALTER TABLE raw.incidents DROP COLUMN IF EXISTS page_text;
ALTER TABLE raw.incidents DROP COLUMN IF EXISTS location_evidence;
