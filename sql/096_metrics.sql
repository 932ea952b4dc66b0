-- Facts for /metrics that the API role may not read itself (push is the owner's; see
-- 095_push.sql): one row of counts and ages, no personal data. Idempotent.
CREATE OR REPLACE FUNCTION ops.metrics_facts(
    OUT newest_incident_at timestamptz,
    OUT pending_reports bigint,
    OUT push_backlog bigint,
    OUT push_oldest_due_at timestamptz
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT (SELECT max(occurred_at) FROM raw.incidents WHERE occurred_at <= now()),
           (SELECT count(*) FROM raw.user_reports WHERE moderation_status = 'pending'),
           (SELECT count(*) FROM push.outbox WHERE status IN ('pending', 'sending')),
           (SELECT min(next_attempt_at) FROM push.outbox WHERE status IN ('pending', 'sending'))
$$;
COMMENT ON FUNCTION ops.metrics_facts() IS
    'Scrape-time facts for /metrics: newest incident, reports awaiting moderation, push outbox backlog.';
-- Privileges: sql/099_grants.sql.
