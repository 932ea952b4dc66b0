-- Downgrade of 0008_replication_privacy: undo the hand-written part first (reverse order), then:
DROP VIEW IF EXISTS analytics.place_areas;
DROP VIEW IF EXISTS analytics.place_points;
DROP FUNCTION IF EXISTS ops.apply_retention(integer,integer,integer,integer,integer);
DROP FUNCTION IF EXISTS push.erase_device(uuid);
DROP FUNCTION IF EXISTS raw.erase_client_reports(text);
DROP FUNCTION IF EXISTS raw.erase_report(bigint);
CREATE OR REPLACE FUNCTION raw.report_stats(t_from timestamp with time zone, t_until timestamp with time zone)
 RETURNS json
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
 SET jit TO 'off'
BEGIN ATOMIC
 WITH chosen AS (
          SELECT r.id,
             r.idempotency_key,
             r.request_sha256,
             r.category,
             r.occurred_at,
             r.received_at,
             r.geom,
             r.accuracy_m,
             r.h3_cell,
             r.description,
             r.photo_key,
             r.moderation_status,
             r.moderated_at,
             r.reported_during_alert,
             r.client_sha256,
             r.moderated_by_key_id,
             r.video_key,
             r.video_poster_key
            FROM raw.user_reports r
           WHERE ((r.occurred_at >= report_stats.t_from) AND (r.occurred_at < report_stats.t_until))
         )
  SELECT json_build_object('total', ( SELECT count(*) AS count
            FROM chosen), 'by_status', json_build_object('pending', ( SELECT count(*) AS count
            FROM chosen
           WHERE (chosen.moderation_status = 'pending'::text)), 'approved', ( SELECT count(*) AS count
            FROM chosen
           WHERE (chosen.moderation_status = 'approved'::text)), 'rejected', ( SELECT count(*) AS count
            FROM chosen
           WHERE (chosen.moderation_status = 'rejected'::text))), 'by_category', COALESCE(( SELECT json_agg(json_build_object('category', k.code, 'label_en', k.label_en, 'label_sv', k.label_sv, 'count', n.n) ORDER BY n.n DESC, k.code) AS json_agg
            FROM (( SELECT chosen.category,
                     count(*) AS n
                    FROM chosen
                   GROUP BY chosen.category) n
              JOIN ref.incident_categories k ON ((k.code = n.category)))), '[]'::json), 'by_day', COALESCE(( SELECT json_agg(json_build_object('day', d.day, 'count', d.n, 'approved', d.approved, 'rejected', d.rejected) ORDER BY d.day) AS json_agg
            FROM ( SELECT ((chosen.occurred_at AT TIME ZONE 'Europe/Stockholm'::text))::date AS day,
                     count(*) AS n,
                     count(*) FILTER (WHERE (chosen.moderation_status = 'approved'::text)) AS approved,
                     count(*) FILTER (WHERE (chosen.moderation_status = 'rejected'::text)) AS rejected
                    FROM chosen
                   GROUP BY (((chosen.occurred_at AT TIME ZONE 'Europe/Stockholm'::text))::date)) d), '[]'::json), 'with_photo', ( SELECT count(*) AS count
            FROM chosen
           WHERE (chosen.photo_key IS NOT NULL)), 'during_alert', ( SELECT count(*) AS count
            FROM chosen
           WHERE chosen.reported_during_alert), 'feeding_risk', ( SELECT count(*) AS count
            FROM (raw.reports_for_risk f
              JOIN chosen c ON ((c.id = f.report_id))))) AS json_build_object;
END;
DROP FUNCTION IF EXISTS raw.submit_report(text,text,text,timestamp with time zone,double precision,double precision,real,text,text,text,boolean,integer,integer,text,text,text,integer);
CREATE OR REPLACE FUNCTION raw.submit_report(p_idempotency_key text, p_request_sha256 text, p_category text, p_occurred_at timestamp with time zone, p_lon double precision, p_lat double precision, p_accuracy_m real, p_description text, p_photo_key text, p_client_sha256 text, p_client_saw_alert boolean, p_location_resolution integer, p_daily_limit integer, p_video_key text, p_video_poster_key text)
 RETURNS TABLE(outcome text, report_id bigint, retry_after_s integer)
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    known_id bigint;
    known_sha text;
    recent integer;
    oldest timestamptz;
    cell h3index;
BEGIN
    IF p_client_sha256 IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('halo.reports:' || p_client_sha256, 0));
    END IF;
    SELECT r.id, r.request_sha256 INTO known_id, known_sha
    FROM raw.user_reports r WHERE r.idempotency_key = p_idempotency_key;
    IF FOUND THEN
        RETURN QUERY SELECT CASE WHEN known_sha = p_request_sha256 THEN 'replayed'
                                 ELSE 'key_conflict' END, known_id, NULL::integer;
        RETURN;
    END IF;
    SELECT count(*), min(r.received_at) INTO recent, oldest
    FROM raw.user_reports r
    WHERE r.client_sha256 = p_client_sha256 AND r.received_at > now() - interval '1 day';
    IF recent >= p_daily_limit THEN
        RETURN QUERY SELECT 'quota', NULL::bigint,
            greatest(1, ceil(extract(epoch FROM oldest + interval '1 day' - now())))::integer;
        RETURN;
    END IF;
    cell := h3_lat_lng_to_cell(point(p_lon, p_lat), p_location_resolution);
    INSERT INTO raw.user_reports (idempotency_key, request_sha256, category, occurred_at, geom,
        accuracy_m, h3_cell, description, photo_key, reported_during_alert, client_sha256,
        video_key, video_poster_key)
    VALUES (p_idempotency_key, p_request_sha256, p_category, p_occurred_at,
            ST_SetSRID(h3_cell_to_lat_lng(cell)::geometry, 4326), p_accuracy_m, cell,
            p_description, p_photo_key,
            p_client_saw_alert OR raw.in_alert_zone(p_lon, p_lat), p_client_sha256,
            p_video_key, p_video_poster_key)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO known_id;
    IF known_id IS NULL THEN
        -- A concurrent request with the same key and no client hash committed first.
        SELECT r.id, r.request_sha256 INTO known_id, known_sha
        FROM raw.user_reports r WHERE r.idempotency_key = p_idempotency_key;
        RETURN QUERY SELECT CASE WHEN known_sha = p_request_sha256 THEN 'replayed'
                                 ELSE 'key_conflict' END, known_id, NULL::integer;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'created', known_id, NULL::integer;
END;
$function$;
REVOKE ALL ON FUNCTION raw.submit_report(text,text,text,timestamp with time zone,double precision,double precision,real,text,text,text,boolean,integer,integer,text,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION raw.submit_report(text,text,text,timestamp with time zone,double precision,double precision,real,text,text,text,boolean,integer,integer,text,text) TO halo_api;

-- ==== hand-written (reverse of the up's ALTERs; after the functions that used the column) ====
DROP INDEX IF EXISTS raw.user_reports_address_sha256_received_at_idx;
ALTER TABLE raw.user_reports DROP COLUMN IF EXISTS address_sha256;
DROP TABLE IF EXISTS ops.job_locks;
