-- Downgrade of 0017_push_city_clock: undo the hand-written part first (reverse order), then:
-- Its result gains a column (time_zone): a function's row type cannot be replaced.
DROP FUNCTION push.claim_due_messages(integer, integer);
CREATE OR REPLACE FUNCTION push.claim_due_messages(batch_limit integer, lease_s integer)
 RETURNS TABLE(outbox_id bigint, device_id uuid, token_sealed bytea, language text, kind text, subject_id bigint, threat_level text, category_label text, district_id integer, district_name text, event_time timestamp with time zone)
 LANGUAGE sql
BEGIN ATOMIC
 WITH due AS (
          SELECT o.id
            FROM push.outbox o
           WHERE ((o.status = 'pending'::text) AND (o.next_attempt_at <= now()))
           ORDER BY o.next_attempt_at, o.id
          LIMIT claim_due_messages.batch_limit
          FOR UPDATE OF o SKIP LOCKED
         ), claimed AS (
          UPDATE push.outbox AS o SET status = 'sending'::text, attempts = (o.attempts + 1), next_attempt_at = (now() + make_interval(secs => (claim_due_messages.lease_s)::double precision))
            FROM due
           WHERE (o.id = due.id)
           RETURNING o.id,
             o.device_id,
             o.kind,
             o.subject_id,
             o.district_id,
             o.threat_level
         )
  SELECT c.id,
     c.device_id,
     d.token_sealed,
     d.language,
     c.kind,
     c.subject_id,
     c.threat_level,
         CASE d.language
             WHEN 'sv'::text THEN k.label_sv
             ELSE k.label_en
         END AS label_en,
     c.district_id,
     r.name,
     COALESCE(i.occurred_at, i.first_seen_at) AS "coalesce"
    FROM ((((claimed c
      JOIN push.devices d ON ((d.id = c.device_id)))
      LEFT JOIN raw.incidents i ON (((c.kind = 'incident'::text) AND (i.id = c.subject_id))))
      LEFT JOIN ref.incident_categories k ON ((k.code = i.category)))
      LEFT JOIN ref.districts r ON ((r.id = c.district_id)))
   ORDER BY c.id;
END;
REVOKE ALL ON FUNCTION push.claim_due_messages(integer,integer) FROM PUBLIC;
COMMENT ON FUNCTION push.claim_due_messages(integer, integer) IS
    'Claim due outbox messages for sending (status sending, lease) with the data their text needs.';
