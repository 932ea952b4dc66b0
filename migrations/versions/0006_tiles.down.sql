-- Downgrade of 0006_tiles: the tile functions and the map API's read functions.
DROP FUNCTION IF EXISTS risk.alert_zones_geojson(double precision, double precision,
                                                 double precision, double precision, integer);
DROP FUNCTION IF EXISTS risk.risk_at_point(double precision, double precision, timestamptz);
DROP FUNCTION IF EXISTS risk.neighborhood_details(integer);
DROP FUNCTION IF EXISTS risk.neighborhoods_geojson(integer);
DROP FUNCTION IF EXISTS risk.zoom_tolerance_deg(integer);
DROP FUNCTION IF EXISTS risk.current_generation();
DROP FUNCTION IF EXISTS tiles.tile_incidents(integer, integer, integer);
DROP FUNCTION IF EXISTS tiles.tile_districts(integer, integer, integer);
DROP FUNCTION IF EXISTS tiles.tile_risk(integer, integer, integer);
DROP FUNCTION IF EXISTS tiles.risk_resolution(integer);
DROP FUNCTION IF EXISTS tiles.envelope_4326(integer, integer, integer);
DROP FUNCTION IF EXISTS tiles.tile_lat(integer, double precision);
DROP FUNCTION IF EXISTS tiles.tile_lon(integer, double precision);
