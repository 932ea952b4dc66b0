-- Downgrade of 0003_live_feed: undo the hand-written part first (reverse order), then:
DROP FUNCTION IF EXISTS ops.freshness(text);
DROP FUNCTION IF EXISTS raw.county_place(text);
DROP FUNCTION IF EXISTS raw.incidents_page(double precision,double precision,double precision,double precision,double precision,double precision,double precision,integer,text,timestamp with time zone,timestamp with time zone,timestamp with time zone,bigint,integer,bigint,boolean);
UPDATE raw.incidents SET category = 'other', severity = 0.2
 WHERE category = 'unmapped' OR (event_type = 'Upphittat föremål' AND category = 'non_incident');
DELETE FROM ref.incident_categories WHERE code = 'unmapped';
DROP INDEX IF EXISTS raw.incidents_occurred_at_id_idx;
DROP TABLE IF EXISTS raw.event_pages;
DROP TABLE IF EXISTS ops.feed_state;
