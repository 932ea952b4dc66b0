-- Base analytics views for analysts (QGIS, role halo_analyst): boundaries and incidents with a
-- stable integer key and a typed EPSG:4326 geometry, no free text. Idempotent.
-- The comments become the layer abstracts QGIS shows.

CREATE OR REPLACE VIEW analytics.municipalities AS
SELECT m.code::integer AS id,
       m.code,
       m.name,
       m.county_code,
       m.geom::geometry(MultiPolygon, 4326) AS geom
  FROM ref.municipalities m;
COMMENT ON VIEW analytics.municipalities IS
    'Swedish municipalities (kommuner) with their SCB code; key id is the code as an integer. Källa: SCB.';
COMMENT ON COLUMN analytics.municipalities.id IS 'Stable key: the four-digit SCB code as an integer.';

CREATE OR REPLACE VIEW analytics.districts AS
SELECT d.id,
       d.name,
       d.municipality_code,
       d.area_km2,
       d.geom::geometry(MultiPolygon, 4326) AS geom
  FROM ref.districts d;
COMMENT ON VIEW analytics.districts IS
    'Neighborhoods: each city''s districts (Stockholm: the stadsdelar, water removed); the units of the risk map.';
COMMENT ON COLUMN analytics.districts.area_km2 IS 'Land area, square kilometres.';

CREATE OR REPLACE VIEW analytics.incidents AS
SELECT i.id,
       i.category,
       i.occurred_at,
       i.first_seen_at,
       i.location_support,
       i.support_radius_m,
       ST_Multi(ST_CollectionExtract(
           CASE i.location_support
               WHEN 'point' THEN ST_Buffer(i.point_geom::geography,
                                           greatest(coalesce(i.support_radius_m, 0), 10))::geometry
               WHEN 'place' THEN
                   CASE WHEN ST_Dimension(p.geom) = 2 THEN p.geom
                        ELSE ST_Buffer(p.geom::geography, greatest(p.radius_m, 10))::geometry
                   END
               WHEN 'district' THEN d.geom
               WHEN 'municipality' THEN m.geom
           END, 3))::geometry(MultiPolygon, 4326) AS geom
  FROM raw.incidents i
  JOIN ref.incident_categories c ON c.code = i.category AND c.counts_for_risk
  LEFT JOIN ref.places p ON p.id = i.place_id
  LEFT JOIN ref.districts d ON d.id = i.district_id
  LEFT JOIN ref.municipalities m ON m.code = i.municipality_code
 WHERE i.location_support <> 'county';
COMMENT ON VIEW analytics.incidents IS
    'Incidents with the area their location is known to: a small circle for an exact point, the place, or the whole district or municipality (see location_support). Category and times only, no free text; county-only incidents and notices left out.';
COMMENT ON COLUMN analytics.incidents.location_support IS
    'How precisely the location is known: point, place, district or municipality. The geometry is that whole area, never a guessed spot.';
COMMENT ON COLUMN analytics.incidents.occurred_at IS 'When the incident happened (UTC), if the source says.';
COMMENT ON COLUMN analytics.incidents.first_seen_at IS 'When Halo first saw the incident (UTC).';

CREATE OR REPLACE VIEW analytics.incident_points AS
SELECT i.id,
       i.category,
       i.occurred_at,
       i.first_seen_at,
       i.support_radius_m,
       i.point_geom::geometry(Point, 4326) AS geom
  FROM raw.incidents i
  JOIN ref.incident_categories c ON c.code = i.category AND c.counts_for_risk
 WHERE i.location_support = 'point';
COMMENT ON VIEW analytics.incident_points IS
    'Incidents whose exact position is known (location_support = point), as points. Category and times only, no free text.';

-- Privileges (the analyst role reads these views): sql/099_grants.sql.

-- The gazetteer split by geometry type: ref.places mixes points (with an uncertainty radius)
-- and polygons in one untyped column, which QGIS cannot load as one layer.
CREATE OR REPLACE VIEW analytics.place_points AS
SELECT p.id, p.name, p.kind, p.radius_m, p.district_id, p.municipality_code,
       p.geom::geometry(Point, 4326) AS geom
  FROM ref.places p
 WHERE GeometryType(p.geom) = 'POINT';
COMMENT ON VIEW analytics.place_points IS
    'Named places known as a point (squares, stations, landmarks) with their uncertainty radius (m).';

CREATE OR REPLACE VIEW analytics.place_areas AS
SELECT p.id, p.name, p.kind, p.district_id, p.municipality_code,
       ST_Multi(p.geom)::geometry(MultiPolygon, 4326) AS geom
  FROM ref.places p
 WHERE GeometryType(p.geom) IN ('POLYGON', 'MULTIPOLYGON');
COMMENT ON VIEW analytics.place_areas IS
    'Named places known as an area (districts, municipalities, areas), as multipolygons.';
