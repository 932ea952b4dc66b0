-- Downgrade of 0002_basemap: the hand-written part first (reverse order), then the generated.
DROP TABLE IF EXISTS basemap.water;
DROP TABLE IF EXISTS basemap.streets;
DROP FUNCTION IF EXISTS basemap.replace_streets(jsonb);
DROP FUNCTION IF EXISTS basemap.replace_water(jsonb);
DROP FUNCTION IF EXISTS basemap.street_class(text);
DROP FUNCTION IF EXISTS basemap.street_minzoom(text);
DROP FUNCTION IF EXISTS tiles.tile_district_labels(integer,integer,integer);
DROP FUNCTION IF EXISTS tiles.tile_streets(integer,integer,integer);
DROP FUNCTION IF EXISTS tiles.tile_water(integer,integer,integer);
DROP SCHEMA IF EXISTS basemap;
