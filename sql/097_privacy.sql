-- Privacy of user reports and devices (docs/privacy.md): erasure by id and retention, both
-- run inside the database so nothing is half-removed. Photos live outside the database: every
-- function returns the photo keys it unlinked, and the caller deletes those files. Idempotent.

-- Erase one report: the row, its moderation messages, and the clusters derived from it
-- (rebuilt at once without it). One row with its photo key (NULL without a photo) when the
-- report existed, no row otherwise. VOLATILE, SECURITY DEFINER (the admin API route).
CREATE OR REPLACE FUNCTION raw.erase_report(p_report_id bigint)
RETURNS TABLE (report_id bigint, photo_key text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    gone_photo text;
BEGIN
    DELETE FROM raw.user_reports r WHERE r.id = p_report_id RETURNING r.photo_key INTO gone_photo;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    DELETE FROM push.outbox o WHERE o.kind = 'moderation' AND o.subject_id = p_report_id;
    PERFORM risk.refresh_report_clusters();
    RETURN QUERY SELECT p_report_id, gone_photo;
END;
$$;
COMMENT ON FUNCTION raw.erase_report(bigint) IS
    'Erase a report, its moderation messages and its trace in the clusters; returns its photo key for the caller to delete.';

-- Erase every report a device (or, without a device id, an address) sent: by the salted hash
-- the API stored (client_sha256). Returns each erased report with its photo key. VOLATILE,
-- SECURITY DEFINER.
CREATE OR REPLACE FUNCTION raw.erase_client_reports(p_client_sha256 text)
RETURNS TABLE (report_id bigint, photo_key text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    ids bigint[];
    keys text[];
BEGIN
    WITH gone AS (
        DELETE FROM raw.user_reports r WHERE r.client_sha256 = p_client_sha256
        RETURNING r.id, r.photo_key
    )
    SELECT array_agg(g.id ORDER BY g.id), array_agg(g.photo_key ORDER BY g.id)
      INTO ids, keys FROM gone g;
    IF ids IS NULL THEN
        RETURN;
    END IF;
    DELETE FROM push.outbox o WHERE o.kind = 'moderation' AND o.subject_id = ANY (ids);
    PERFORM risk.refresh_report_clusters();
    RETURN QUERY SELECT * FROM unnest(ids, keys);
END;
$$;
COMMENT ON FUNCTION raw.erase_client_reports(text) IS
    'Erase all reports with this client hash (a device, or an address); returns their ids and photo keys.';

-- Erase a device's push registration: the device, the districts it follows and every message
-- queued or sent to it (cascades). True when it existed. VOLATILE, SECURITY DEFINER.
CREATE OR REPLACE FUNCTION push.erase_device(p_device_id uuid)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH gone AS (DELETE FROM push.devices d WHERE d.id = p_device_id RETURNING 1)
    SELECT count(*) > 0 FROM gone;
END;
COMMENT ON FUNCTION push.erase_device(uuid) IS
    'Erase a device registration with its followed districts and messages; true when it existed.';

-- Retention, run by the nightly as the owner: photos older than photos_days are unlinked
-- (the report stays), reports older than reports_days, device registrations not updated for
-- devices_days, rate-limit counters older than rate_limit_days, and finished job runs and
-- push messages older than job_logs_days are deleted. One row per item with the rows removed
-- and, for photos and reports, the photo keys to delete. VOLATILE, owner only.
CREATE OR REPLACE FUNCTION ops.apply_retention(
    p_reports_days integer, p_photos_days integer, p_devices_days integer,
    p_rate_limit_days integer, p_job_logs_days integer
) RETURNS TABLE (item text, removed bigint, photo_keys text[])
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    keys text[];
    n bigint;
BEGIN
    IF least(p_reports_days, p_photos_days, p_devices_days, p_rate_limit_days,
             p_job_logs_days) < 1 THEN
        RAISE EXCEPTION 'retention periods must be at least one day' USING ERRCODE = '22023';
    END IF;
    WITH old AS (
        SELECT r.id, r.photo_key FROM raw.user_reports r
         WHERE r.photo_key IS NOT NULL
           AND r.received_at < now() - make_interval(days => p_photos_days)
           FOR UPDATE
    ), unlinked AS (
        UPDATE raw.user_reports r SET photo_key = NULL FROM old
         WHERE r.id = old.id RETURNING old.photo_key
    )
    SELECT count(*), coalesce(array_agg(u.photo_key), '{}') INTO n, keys FROM unlinked u;
    RETURN QUERY SELECT 'photos', n, keys;

    WITH gone AS (
        DELETE FROM raw.user_reports r
         WHERE r.received_at < now() - make_interval(days => p_reports_days)
        RETURNING r.id, r.photo_key
    ), messages AS (
        DELETE FROM push.outbox o USING gone
         WHERE o.kind = 'moderation' AND o.subject_id = gone.id
    )
    SELECT count(*), coalesce(array_agg(g.photo_key) FILTER (WHERE g.photo_key IS NOT NULL),
                              '{}')
      INTO n, keys FROM gone g;
    RETURN QUERY SELECT 'reports', n, keys;

    WITH gone AS (
        DELETE FROM push.devices d
         WHERE d.updated_at < now() - make_interval(days => p_devices_days) RETURNING 1
    )
    SELECT count(*) INTO n FROM gone;
    RETURN QUERY SELECT 'devices', n, '{}'::text[];

    WITH gone AS (
        DELETE FROM ops.rate_limit_counters c
         WHERE c.window_start < now() - make_interval(days => p_rate_limit_days) RETURNING 1
    )
    SELECT count(*) INTO n FROM gone;
    RETURN QUERY SELECT 'rate_limits', n, '{}'::text[];

    WITH runs AS (
        DELETE FROM ops.job_runs j
         WHERE j.status IN ('success', 'failed')
           AND j.started_at < now() - make_interval(days => p_job_logs_days) RETURNING 1
    ), messages AS (
        DELETE FROM push.outbox o
         WHERE o.status NOT IN ('pending', 'sending')
           AND o.created_at < now() - make_interval(days => p_job_logs_days) RETURNING 1
    )
    SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM messages) INTO n;
    RETURN QUERY SELECT 'job_logs', n, '{}'::text[];
END;
$$;
COMMENT ON FUNCTION ops.apply_retention(integer, integer, integer, integer, integer) IS
    'Delete what is older than its retention period (photos unlinked, reports, devices, rate-limit counters, job logs); returns counts and photo keys.';

-- Privileges (the API erases through these functions): sql/099_grants.sql.
