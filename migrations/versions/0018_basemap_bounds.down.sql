-- Downgrade of 0018_basemap_bounds: undo the hand-written part first (reverse order), then:
DROP FUNCTION IF EXISTS tiles.basemap_bounds(text);
