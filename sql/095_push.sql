-- Push notifications: registered devices (push tokens sealed by the application, secrets
-- hashed), the districts each follows, and the outbox of messages with its unique
-- (device, kind, subject) key that makes dispatch idempotent. The API role reaches devices
-- only through the SECURITY DEFINER functions at the end; the dispatch job (owner) does the
-- rest. No location of a person is stored: a device names districts, never where it is.
-- Idempotent.

CREATE SCHEMA IF NOT EXISTS push;
COMMENT ON SCHEMA push IS
    'Push notifications: registered devices, the districts they follow, the outbox of messages.';

CREATE TABLE IF NOT EXISTS push.devices (
    id uuid PRIMARY KEY,
    token_lookup bytea NOT NULL UNIQUE CHECK (length(token_lookup) = 32),
    token_sealed bytea NOT NULL CHECK (length(token_sealed) BETWEEN 30 AND 1024),
    secret_sha256 bytea NOT NULL CHECK (length(secret_sha256) = 32),
    platform text NOT NULL CHECK (platform IN ('ios', 'android', 'web')),
    language text NOT NULL CHECK (language IN ('sv', 'en')),
    threat_levels text[] NOT NULL
        CHECK (threat_levels <@ ARRAY['critical', 'high', 'info']::text[]),
    quiet_start time,
    quiet_end time,
    daily_cap smallint CHECK (daily_cap BETWEEN 1 AND 50),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT devices_quiet_hours_complete CHECK (
        (quiet_start IS NULL) = (quiet_end IS NULL)
        AND (quiet_start IS NULL OR quiet_start <> quiet_end))
);
COMMENT ON TABLE push.devices IS
    'Devices registered for push messages: the Expo push token sealed (AES-GCM, key outside the database) with a keyed hash for lookups, the SHA-256 of the device secret, language, quiet hours, threat levels.';
COMMENT ON COLUMN push.devices.token_lookup IS
    'HMAC-SHA-256 of the push token: finds a re-registered token without storing it in clear.';
COMMENT ON COLUMN push.devices.token_sealed IS
    'The push token encrypted by the application (version byte, nonce, AES-GCM ciphertext bound to the device id).';
COMMENT ON COLUMN push.devices.quiet_start IS
    'Start of the quiet hours, local time (of the followed district''s city); the window may wrap past midnight.';
COMMENT ON COLUMN push.devices.daily_cap IS
    'Most visible messages in 24 hours the device asked for; the server''s cap applies when lower.';

CREATE TABLE IF NOT EXISTS push.device_districts (
    device_id uuid NOT NULL REFERENCES push.devices (id) ON DELETE CASCADE,
    district_id integer NOT NULL REFERENCES ref.districts (id) ON DELETE CASCADE,
    PRIMARY KEY (device_id, district_id)
);
CREATE INDEX IF NOT EXISTS device_districts_district_id_idx
    ON push.device_districts (district_id);
COMMENT ON TABLE push.device_districts IS
    'The districts a device follows (home, work; a few at most).';

CREATE TABLE IF NOT EXISTS push.outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id uuid NOT NULL REFERENCES push.devices (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('incident', 'refresh', 'moderation')),
    subject_id bigint NOT NULL,
    district_id integer REFERENCES ref.districts (id) ON DELETE SET NULL,
    threat_level text CHECK (threat_level IN ('critical', 'high', 'info')),
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'suppressed')),
    reason text CHECK (reason ~ '^[A-Za-z0-9_]{1,64}$'),
    attempts smallint NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    ticket_id text CHECK (length(ticket_id) BETWEEN 1 AND 200),
    receipt_at timestamptz,
    CONSTRAINT outbox_device_id_kind_subject_id_key UNIQUE (device_id, kind, subject_id)
);
CREATE INDEX IF NOT EXISTS outbox_due_idx ON push.outbox (next_attempt_at)
    WHERE status IN ('pending', 'sending');
CREATE INDEX IF NOT EXISTS outbox_awaiting_receipt_idx ON push.outbox (sent_at)
    WHERE status = 'sent' AND receipt_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_created_at_idx ON push.outbox (created_at);
COMMENT ON TABLE push.outbox IS
    'One row per device and thing to tell (an incident, a risk generation, a report''s moderation): at most one message each, whatever the retries.';
COMMENT ON COLUMN push.outbox.subject_id IS
    'raw.incidents.id (incident), risk.generations.id (refresh) or raw.user_reports.id (moderation).';
COMMENT ON COLUMN push.outbox.status IS
    'pending (due at next_attempt_at), sending (claimed), sent (ticket), delivered (receipt ok), failed, suppressed (quiet hours, daily cap, superseded).';
COMMENT ON COLUMN push.outbox.reason IS
    'Why a message was suppressed or failed: a code (quiet_hours, daily_cap, DeviceNotRegistered, ...), never the service''s text.';

-- The threat level of a severity in [0, 1]: critical, high or info by the given minimums
-- (critical_min >= high_min >= info_min); NULL below info_min. IMMUTABLE.
CREATE OR REPLACE FUNCTION push.threat_level(
    severity double precision, critical_min double precision, high_min double precision,
    info_min double precision
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN severity >= critical_min THEN 'critical'
    WHEN severity >= high_min THEN 'high'
    WHEN severity >= info_min THEN 'info'
END;
COMMENT ON FUNCTION push.threat_level(double precision, double precision, double precision,
                                      double precision) IS
    'critical / high / info of a severity under the given minimums; NULL below info.';

-- Whether `at_time` falls in the quiet hours [quiet_start, quiet_end) read as local times of
-- `time_zone`; a window whose start is after its end wraps past midnight. No quiet hours:
-- false. STABLE (time zone rules).
CREATE OR REPLACE FUNCTION push.in_quiet_hours(
    quiet_start time, quiet_end time, at_time timestamptz, time_zone text
) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE
    WHEN quiet_start IS NULL OR quiet_end IS NULL THEN false
    WHEN quiet_start < quiet_end THEN
        (at_time AT TIME ZONE time_zone)::time >= quiet_start
        AND (at_time AT TIME ZONE time_zone)::time < quiet_end
    ELSE
        (at_time AT TIME ZONE time_zone)::time >= quiet_start
        OR (at_time AT TIME ZONE time_zone)::time < quiet_end
END;
COMMENT ON FUNCTION push.in_quiet_hours(time, time, timestamptz, text) IS
    'True when the time lies in the local quiet-hours window (which may wrap past midnight).';

-- Police events first seen in (seen_after, seen_until] with a threat level, located to a
-- district or finer: the district given, the district of the named place (a place inside
-- one district) or the district holding the exact point. Vaguer events (municipality,
-- county, places spanning districts) and other sources never qualify. SRID 4326. STABLE.
CREATE OR REPLACE FUNCTION push.notifiable_incidents(
    seen_after timestamptz, seen_until timestamptz, critical_min double precision,
    high_min double precision, info_min double precision
) RETURNS TABLE (incident_id bigint, district_id integer, threat_level text,
                 first_seen_at timestamptz)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT i.id, located.district_id,
           push.threat_level(i.severity, critical_min, high_min, info_min), i.first_seen_at
      FROM raw.incidents i
      JOIN ref.data_sources s ON s.id = i.source_id AND s.kind = 'police_api'
      JOIN ref.incident_categories c ON c.code = i.category AND c.counts_for_risk
      LEFT JOIN ref.places p ON p.id = i.place_id
     CROSS JOIN LATERAL (
         SELECT coalesce(i.district_id, p.district_id, (
                    SELECT d.id FROM ref.districts d
                     WHERE i.location_support = 'point' AND st_intersects(d.geom, i.point_geom)
                     ORDER BY d.id LIMIT 1)) AS district_id
     ) located
     WHERE i.first_seen_at > seen_after AND i.first_seen_at <= seen_until
       AND i.location_support IN ('point', 'place', 'district')
       AND located.district_id IS NOT NULL
       AND push.threat_level(i.severity, critical_min, high_min, info_min) IS NOT NULL;
END;
COMMENT ON FUNCTION push.notifiable_incidents(timestamptz, timestamptz, double precision,
                                              double precision, double precision) IS
    'Police events first seen in (seen_after, seen_until] with a threat level and a district (district support or finer).';

-- Queue at most one message per device and incident, for the incidents first seen in the
-- max_age_s before at_time (NULL: now) and after the device registered, in the districts
-- the device follows, at the threat levels it chose. A device in its quiet hours at at_time
-- (local times of the district's city; time_zone for a district without a city),
-- or over its cap of visible messages in the 24 hours before, gets the row 'suppressed'
-- (quiet_hours, daily_cap), never sent later. Under the cap higher threat levels and earlier
-- events go first. One run at a time (transaction advisory lock). Returns rows queued and
-- suppressed. VOLATILE.
CREATE OR REPLACE FUNCTION push.enqueue_incident_messages(
    at_time timestamptz, max_age_s integer, server_cap integer, time_zone text,
    critical_min double precision, high_min double precision, info_min double precision
) RETURNS TABLE (queued bigint, suppressed bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    at_time := coalesce(at_time, now());
    PERFORM pg_advisory_xact_lock(hashtext('push.enqueue_incident_messages'));
    RETURN QUERY
    WITH candidates AS (
        SELECT d.id AS device_id, n.incident_id, n.district_id, n.threat_level, n.first_seen_at,
               push.in_quiet_hours(d.quiet_start, d.quiet_end, at_time,
                                   coalesce(c.time_zone,
                                            enqueue_incident_messages.time_zone)) AS quiet,
               least(coalesce(d.daily_cap, server_cap), server_cap) AS cap
          FROM push.notifiable_incidents(at_time - make_interval(secs => max_age_s),
                                         at_time,
                                         critical_min, high_min, info_min) n
          JOIN push.device_districts dd ON dd.district_id = n.district_id
          JOIN push.devices d ON d.id = dd.device_id
          LEFT JOIN ref.districts dt ON dt.id = n.district_id
          LEFT JOIN ref.cities c ON c.id = dt.city_id
         WHERE n.threat_level = ANY (d.threat_levels)
           AND n.first_seen_at >= d.created_at
           AND NOT EXISTS (
               SELECT 1 FROM push.outbox o
                WHERE o.device_id = d.id AND o.kind = 'incident' AND o.subject_id = n.incident_id)
    ), ranked AS (
        SELECT c.*,
               row_number() OVER (
                   PARTITION BY c.device_id
                   ORDER BY array_position(ARRAY['critical', 'high', 'info'], c.threat_level),
                            c.first_seen_at, c.incident_id) AS nth,
               (SELECT count(*) FROM push.outbox o
                 WHERE o.device_id = c.device_id AND o.kind IN ('incident', 'moderation')
                   AND o.status IN ('pending', 'sending', 'sent', 'delivered')
                   AND o.created_at > at_time - interval '24 hours') AS used
          FROM candidates c
    ), inserted AS (
        INSERT INTO push.outbox AS o (device_id, kind, subject_id, district_id, threat_level,
                                      status, reason, created_at, next_attempt_at)
        SELECT r.device_id, 'incident', r.incident_id, r.district_id, r.threat_level,
               CASE WHEN r.quiet OR r.used + r.nth > r.cap THEN 'suppressed' ELSE 'pending' END,
               CASE WHEN r.quiet THEN 'quiet_hours'
                    WHEN r.used + r.nth > r.cap THEN 'daily_cap' END,
               at_time, at_time
          FROM ranked r
         ORDER BY r.device_id, r.nth
        ON CONFLICT ON CONSTRAINT outbox_device_id_kind_subject_id_key DO NOTHING
        RETURNING o.status
    )
    SELECT count(*) FILTER (WHERE i.status = 'pending'),
           count(*) FILTER (WHERE i.status = 'suppressed')
      FROM inserted i;
END
$$;
COMMENT ON FUNCTION push.enqueue_incident_messages(timestamptz, integer, integer, text,
                                                   double precision, double precision,
                                                   double precision) IS
    'Queue one message per device and recent severe incident in a followed district; quiet hours and daily caps suppress. Returns (queued, suppressed).';

-- Queue one data-only refresh message per device for the latest risk generation (rows
-- dated at_time, NULL: now), for the devices registered before it was made (later ones
-- downloaded it already); refreshes of older generations still waiting are superseded.
-- Returns rows queued. VOLATILE.
CREATE OR REPLACE FUNCTION push.enqueue_refresh_messages(at_time timestamptz) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    latest_id bigint;
    latest_at timestamptz;
    queued bigint;
BEGIN
    at_time := coalesce(at_time, now());
    SELECT g.id, g.refreshed_at INTO latest_id, latest_at
      FROM risk.generations g ORDER BY g.id DESC LIMIT 1;
    IF latest_id IS NULL THEN
        RETURN 0;
    END IF;
    UPDATE push.outbox o SET status = 'suppressed', reason = 'superseded'
     WHERE o.kind = 'refresh' AND o.status = 'pending' AND o.subject_id < latest_id;
    INSERT INTO push.outbox (device_id, kind, subject_id, created_at, next_attempt_at)
    SELECT d.id, 'refresh', latest_id, at_time, at_time
      FROM push.devices d
     WHERE d.created_at < latest_at
    ON CONFLICT ON CONSTRAINT outbox_device_id_kind_subject_id_key DO NOTHING;
    GET DIAGNOSTICS queued = ROW_COUNT;
    RETURN queued;
END
$$;
COMMENT ON FUNCTION push.enqueue_refresh_messages(timestamptz) IS
    'Queue one silent refresh per device for the latest risk generation; returns rows queued.';

-- Settle what must not be sent: messages left 'sending' past their lease (the sender stopped
-- after claiming them; they may have reached Expo, so they are never sent again) fail as
-- 'interrupted'; incident messages still pending after max_age_s fail as 'expired'; rows
-- older than retention_days go. Returns rows changed or deleted. VOLATILE.
CREATE OR REPLACE FUNCTION push.settle_stale_messages(max_age_s integer, retention_days integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    interrupted bigint;
    expired bigint;
    pruned bigint;
BEGIN
    UPDATE push.outbox o SET status = 'failed', reason = 'interrupted'
     WHERE o.status = 'sending' AND o.next_attempt_at < now();
    GET DIAGNOSTICS interrupted = ROW_COUNT;
    UPDATE push.outbox o SET status = 'failed', reason = 'expired'
     WHERE o.status = 'pending' AND o.kind = 'incident'
       AND o.created_at < now() - make_interval(secs => max_age_s);
    GET DIAGNOSTICS expired = ROW_COUNT;
    DELETE FROM push.outbox o WHERE o.created_at < now() - make_interval(days => retention_days);
    GET DIAGNOSTICS pruned = ROW_COUNT;
    RETURN interrupted + expired + pruned;
END
$$;
COMMENT ON FUNCTION push.settle_stale_messages(integer, integer) IS
    'Fail interrupted sends (at most once) and expired incident messages, prune old rows; returns rows touched.';

-- Claim up to batch_limit due messages: each becomes 'sending' with one attempt more and a
-- lease of lease_s, and is returned with what its text needs (language, category label in
-- that language, district name, event time, and the time zone of the district's city that
-- time is written in; NULL without a city). Concurrent senders skip each other's rows.
-- VOLATILE.
CREATE OR REPLACE FUNCTION push.claim_due_messages(batch_limit integer, lease_s integer)
RETURNS TABLE (outbox_id bigint, device_id uuid, token_sealed bytea, language text, kind text,
               subject_id bigint, threat_level text, category_label text, district_id integer,
               district_name text, event_time timestamptz, time_zone text)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH due AS (
        SELECT o.id FROM push.outbox o
         WHERE o.status = 'pending' AND o.next_attempt_at <= now()
         ORDER BY o.next_attempt_at, o.id
         LIMIT batch_limit
           FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE push.outbox o
           SET status = 'sending', attempts = o.attempts + 1,
               next_attempt_at = now() + make_interval(secs => lease_s)
          FROM due
         WHERE o.id = due.id
        RETURNING o.id, o.device_id, o.kind, o.subject_id, o.district_id, o.threat_level
    )
    SELECT c.id, c.device_id, d.token_sealed, d.language, c.kind, c.subject_id, c.threat_level,
           CASE d.language WHEN 'sv' THEN k.label_sv ELSE k.label_en END,
           c.district_id, r.name, coalesce(i.occurred_at, i.first_seen_at), city.time_zone
      FROM claimed c
      JOIN push.devices d ON d.id = c.device_id
      LEFT JOIN raw.incidents i ON c.kind = 'incident' AND i.id = c.subject_id
      LEFT JOIN ref.incident_categories k ON k.code = i.category
      LEFT JOIN ref.districts r ON r.id = c.district_id
      LEFT JOIN ref.cities city ON city.id = r.city_id
     ORDER BY c.id;
END;
COMMENT ON FUNCTION push.claim_due_messages(integer, integer) IS
    'Claim due outbox messages for sending (status sending, lease) with the data their text needs.';

-- Record accepted messages: 'sent' with Expo's ticket id (its receipt is checked later).
-- Returns rows updated. VOLATILE.
CREATE OR REPLACE FUNCTION push.mark_sent(outbox_ids bigint[], ticket_ids text[])
RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH done AS (
        UPDATE push.outbox o
           SET status = 'sent', sent_at = now(), ticket_id = t.ticket_id, reason = NULL
          FROM unnest(outbox_ids, ticket_ids) AS t (outbox_id, ticket_id)
         WHERE o.id = t.outbox_id
        RETURNING 1
    )
    SELECT count(*) FROM done;
END;

-- Record messages that will not be sent or were not delivered, each with a reason code.
-- Returns rows updated. VOLATILE.
CREATE OR REPLACE FUNCTION push.mark_failed(outbox_ids bigint[], reasons text[])
RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH done AS (
        UPDATE push.outbox o
           SET status = 'failed', reason = t.reason, receipt_at = coalesce(o.receipt_at, now())
          FROM unnest(outbox_ids, reasons) AS t (outbox_id, reason)
         WHERE o.id = t.outbox_id
        RETURNING 1
    )
    SELECT count(*) FROM done;
END;

-- Put messages the service did not take (rate limited, unavailable) back to 'pending', due
-- after an exponential backoff (base_s doubling per attempt, at most max_s, at least
-- min_delay_s, e.g. a Retry-After); a message out of attempts fails with the reason instead.
-- Returns rows back to pending. VOLATILE.
CREATE OR REPLACE FUNCTION push.mark_for_retry(
    outbox_ids bigint[], reason text, base_s double precision, max_s double precision,
    min_delay_s double precision, max_attempts integer
) RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH done AS (
        UPDATE push.outbox o
           SET status = CASE WHEN o.attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
               reason = mark_for_retry.reason,
               next_attempt_at = now() + make_interval(secs => greatest(
                   min_delay_s, least(max_s, base_s * 2 ^ greatest(o.attempts - 1, 0))))
         WHERE o.id = ANY (outbox_ids)
        RETURNING o.status
    )
    SELECT count(*) FROM done WHERE done.status = 'pending';
END;

-- Record messages whose receipt said ok: 'delivered'. Returns rows updated. VOLATILE.
CREATE OR REPLACE FUNCTION push.mark_delivered(outbox_ids bigint[]) RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH done AS (
        UPDATE push.outbox o SET status = 'delivered', receipt_at = now(), reason = NULL
         WHERE o.id = ANY (outbox_ids)
        RETURNING 1
    )
    SELECT count(*) FROM done;
END;

-- Record sent messages whose receipt never came (Expo keeps receipts about a day): they stay
-- 'sent' and are not asked about again. Returns rows updated. VOLATILE.
CREATE OR REPLACE FUNCTION push.mark_receipt_missing(outbox_ids bigint[]) RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH done AS (
        UPDATE push.outbox o SET receipt_at = now(), reason = 'receipt_missing'
         WHERE o.id = ANY (outbox_ids)
        RETURNING 1
    )
    SELECT count(*) FROM done;
END;

-- Sent messages whose receipt is due (sent at least min_age_s ago), oldest first; `overdue`
-- once sent more than give_up_s ago. STABLE.
CREATE OR REPLACE FUNCTION push.messages_awaiting_receipt(
    min_age_s integer, give_up_s integer, batch_limit integer
) RETURNS TABLE (outbox_id bigint, device_id uuid, ticket_id text, overdue boolean)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT o.id, o.device_id, o.ticket_id, o.sent_at < now() - make_interval(secs => give_up_s)
      FROM push.outbox o
     WHERE o.status = 'sent' AND o.receipt_at IS NULL AND o.ticket_id IS NOT NULL
       AND o.sent_at <= now() - make_interval(secs => min_age_s)
     ORDER BY o.sent_at, o.id
     LIMIT batch_limit;
END;

-- Remove devices the push service no longer knows (DeviceNotRegistered), with their
-- subscriptions and messages. Returns devices removed. VOLATILE.
CREATE OR REPLACE FUNCTION push.remove_devices(device_ids uuid[]) RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH gone AS (
        DELETE FROM push.devices d WHERE d.id = ANY (device_ids) RETURNING 1
    )
    SELECT count(*) FROM gone;
END;

-- The API's entry points. SECURITY DEFINER: the API role has no privilege on the tables, so
-- it can neither list devices nor read sealed tokens; it can only act on a device whose id
-- and secret it holds. A device follows at most 3 districts.

-- Register a device (the API makes its id, seals its token, hashes its secret). The same
-- token registering again (reinstall, lost secret) replaces the old device and all it had.
-- Unknown districts fail with 23503. Returns the id. VOLATILE, SECURITY DEFINER.
CREATE OR REPLACE FUNCTION push.register_device(
    device_id uuid, token_lookup bytea, token_sealed bytea, secret_sha256 bytea,
    platform text, language text, threat_levels text[], quiet_start time, quiet_end time,
    daily_cap smallint, district_ids integer[]
) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF coalesce(cardinality(district_ids), 0) > 3 THEN
        RAISE EXCEPTION 'a device follows at most 3 districts' USING ERRCODE = '22023';
    END IF;
    DELETE FROM push.devices d WHERE d.token_lookup = register_device.token_lookup;
    INSERT INTO push.devices (id, token_lookup, token_sealed, secret_sha256, platform, language,
                              threat_levels, quiet_start, quiet_end, daily_cap)
    VALUES (register_device.device_id, register_device.token_lookup,
            register_device.token_sealed, register_device.secret_sha256,
            register_device.platform, register_device.language,
            register_device.threat_levels, register_device.quiet_start,
            register_device.quiet_end, register_device.daily_cap);
    INSERT INTO push.device_districts (device_id, district_id)
    SELECT DISTINCT register_device.device_id, x FROM unnest(district_ids) AS x;
    RETURN register_device.device_id;
END
$$;
COMMENT ON FUNCTION push.register_device(uuid, bytea, bytea, bytea, text, text, text[], time,
                                         time, smallint, integer[]) IS
    'Register a device with its sealed token, hashed secret and preferences; a known token replaces its old device.';

-- Replace a device's token and preferences, if the secret's SHA-256 matches; another device
-- holding the same token is removed. False when no such device or the secret is wrong.
-- VOLATILE, SECURITY DEFINER.
CREATE OR REPLACE FUNCTION push.update_device(
    device_id uuid, secret_sha256 bytea, token_lookup bytea, token_sealed bytea,
    platform text, language text, threat_levels text[], quiet_start time, quiet_end time,
    daily_cap smallint, district_ids integer[]
) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF coalesce(cardinality(district_ids), 0) > 3 THEN
        RAISE EXCEPTION 'a device follows at most 3 districts' USING ERRCODE = '22023';
    END IF;
    PERFORM 1 FROM push.devices d
     WHERE d.id = update_device.device_id AND d.secret_sha256 = update_device.secret_sha256
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    DELETE FROM push.devices d
     WHERE d.token_lookup = update_device.token_lookup AND d.id <> update_device.device_id;
    UPDATE push.devices d
       SET token_lookup = update_device.token_lookup, token_sealed = update_device.token_sealed,
           platform = update_device.platform, language = update_device.language,
           threat_levels = update_device.threat_levels, quiet_start = update_device.quiet_start,
           quiet_end = update_device.quiet_end, daily_cap = update_device.daily_cap,
           updated_at = now()
     WHERE d.id = update_device.device_id;
    DELETE FROM push.device_districts dd WHERE dd.device_id = update_device.device_id;
    INSERT INTO push.device_districts (device_id, district_id)
    SELECT DISTINCT update_device.device_id, x FROM unnest(district_ids) AS x;
    RETURN true;
END
$$;
COMMENT ON FUNCTION push.update_device(uuid, bytea, bytea, bytea, text, text, text[], time,
                                       time, smallint, integer[]) IS
    'Replace a device''s token and preferences when the secret matches; false otherwise.';

-- Delete a device and everything about it (districts, messages), if the secret's SHA-256
-- matches. False when no such device or the secret is wrong. VOLATILE, SECURITY DEFINER.
CREATE OR REPLACE FUNCTION push.delete_device(device_id uuid, secret_sha256 bytea)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM push.devices d
     WHERE d.id = delete_device.device_id AND d.secret_sha256 = delete_device.secret_sha256;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION push.delete_device(uuid, bytea) IS
    'Delete a device with its districts and messages when the secret matches; false otherwise.';

-- Privileges: everything is the owner's; the API role may only call the three entry points,
-- the analyst role sees nothing of push (sql/099_grants.sql).
