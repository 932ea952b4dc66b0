-- Incident reports from the app, part 2: corroboration by police events, fused cross-source
-- events and the reports that feed risk. Storage EPSG:4326; distances on the spheroid
-- (geography). Idempotent.

-- Every (report, police event) pair that corroborates: a compatible category, the event's
-- time within corroboration_window_h of the report's, and the report within
-- corroboration_distance_m of the event's support: its point (plus its radius), its place
-- (point plus radius, or polygon) or its district polygon. Municipality- and county-only
-- events are too vague to corroborate anything. distance_m is measured from the edge of the
-- support (0 inside it). Reports of every status; consumers drop rejected ones.
CREATE OR REPLACE VIEW raw.report_corroborations AS
SELECT r.id AS report_id, m.incident_id, m.source_id, m.reliability, m.incident_first_seen_at,
       m.distance_m, m.time_gap_s
FROM raw.user_reports r
CROSS JOIN ref.report_parameters p
CROSS JOIN LATERAL (
    SELECT i.id AS incident_id, i.source_id, s.reliability,
           i.first_seen_at AS incident_first_seen_at,
           greatest(d.distance_m, 0)::real AS distance_m,
           extract(epoch FROM coalesce(i.occurred_at, i.published_at, i.first_seen_at)
                              - r.occurred_at)::integer AS time_gap_s
    FROM raw.incidents i
    JOIN ref.compatible_categories cc
      ON cc.report_category = r.category AND cc.incident_category = i.category
    JOIN ref.data_sources s ON s.id = i.source_id AND s.kind <> 'user_reports'
    CROSS JOIN LATERAL (
        SELECT CASE i.location_support
            WHEN 'point' THEN ST_Distance(r.geom::geography, i.point_geom::geography)
                              - coalesce(i.support_radius_m, 0)
            WHEN 'place' THEN (
                SELECT CASE WHEN ST_Intersects(pl.geom, r.geom) THEN 0
                            ELSE ST_Distance(r.geom::geography, pl.geom::geography)
                                 - pl.radius_m END
                FROM ref.places pl WHERE pl.id = i.place_id)
            WHEN 'district' THEN (
                SELECT CASE WHEN ST_Intersects(dt.geom, r.geom) THEN 0
                            ELSE ST_Distance(r.geom::geography, dt.geom::geography) END
                FROM ref.districts dt WHERE dt.id = i.district_id)
        END AS distance_m
    ) d
    WHERE coalesce(i.occurred_at, i.published_at, i.first_seen_at)
          BETWEEN r.occurred_at - make_interval(secs => p.corroboration_window_h * 3600)
              AND r.occurred_at + make_interval(secs => p.corroboration_window_h * 3600)
      AND i.location_support IN ('point', 'place', 'district')
      AND d.distance_m <= p.corroboration_distance_m
    -- Not pulled up: per report, an index range scan on the events' time (a band join the
    -- planner would otherwise run as a hash join filtering every pair).
    OFFSET 0
) m;
COMMENT ON VIEW raw.report_corroborations IS
    'Report x police event pairs within the corroboration window (compatible category, time, distance from the event''s support).';

-- Per report: whether and since when it is corroborated, and its best match (closest in
-- time, then in space) - the police event it is fused with.
CREATE OR REPLACE VIEW raw.report_corroboration AS
SELECT DISTINCT ON (c.report_id)
       c.report_id, c.incident_id AS best_incident_id, c.reliability AS incident_reliability,
       min(c.incident_first_seen_at) OVER (PARTITION BY c.report_id) AS corroborated_from,
       count(*) OVER (PARTITION BY c.report_id) AS matches
FROM raw.report_corroborations c
ORDER BY c.report_id, abs(c.time_gap_s), c.distance_m, c.incident_id;
COMMENT ON VIEW raw.report_corroboration IS
    'One row per corroborated report: its best police match, when the first match was seen, how many matched.';

-- Fused events: each police event (of a category that counts) with the non-rejected reports
-- whose best match it is, and each non-rejected report that no police event corroborates.
-- confidence = 1 - prod(1 - reliability) over every observation (the event and each report).
CREATE OR REPLACE VIEW raw.fused_events AS
WITH user_source AS (
    SELECT id, reliability FROM ref.data_sources WHERE code = 'user_reports'
),
fused_reports AS (
    SELECT c.best_incident_id AS incident_id, array_agg(r.id ORDER BY r.id) AS report_ids,
           sum(ln(greatest(1 - u.reliability, 1e-9))) AS log_miss
    FROM raw.report_corroboration c
    JOIN raw.user_reports r ON r.id = c.report_id AND r.moderation_status <> 'rejected'
    CROSS JOIN user_source u
    GROUP BY c.best_incident_id
)
SELECT 'incident:' || i.id AS event_key, i.category,
       coalesce(i.occurred_at, i.published_at, i.first_seen_at) AS occurred_at,
       i.id AS incident_id, coalesce(f.report_ids, '{}') AS report_ids,
       CASE WHEN f.incident_id IS NULL THEN ARRAY[s.code] ELSE ARRAY[s.code, 'user_reports'] END
           AS sources,
       1 + coalesce(cardinality(f.report_ids), 0) AS observations,
       (1 - exp(ln(greatest(1 - s.reliability, 1e-9)) + coalesce(f.log_miss, 0)))::real
           AS confidence,
       i.district_id
FROM raw.incidents i
JOIN ref.incident_categories k ON k.code = i.category AND k.counts_for_risk
JOIN ref.data_sources s ON s.id = i.source_id
LEFT JOIN fused_reports f ON f.incident_id = i.id
UNION ALL
SELECT 'report:' || r.id, r.category, r.occurred_at, NULL, ARRAY[r.id], ARRAY['user_reports'],
       1, u.reliability, dt.id
FROM raw.user_reports r
CROSS JOIN user_source u
LEFT JOIN LATERAL (
    SELECT d.id FROM ref.districts d WHERE ST_Intersects(d.geom, r.geom) ORDER BY d.id LIMIT 1
) dt ON true
WHERE r.moderation_status <> 'rejected'
  AND NOT EXISTS (SELECT 1 FROM raw.report_corroboration c WHERE c.report_id = r.id);
COMMENT ON VIEW raw.fused_events IS
    'Events merged across sources: a police event with the reports it corroborates, or a report alone; confidence = 1 - prod(1 - reliability).';

-- The reports that feed risk: approved or corroborated, never rejected, of a category that
-- counts. severity = min(category weight, risk_weight_cap) x the reliability of the
-- user_reports source; an uncorroborated report made during an alert is multiplied by
-- during_alert_factor (0 by default: left out, so alert zones cannot feed themselves; a
-- police match is independent evidence). counts_from is when the report became eligible
-- (approval, or the first matching police event being seen), for point-in-time refreshes and
-- backtests; first_seen_at is when Halo received it. cell: resolution 10.
CREATE OR REPLACE VIEW raw.reports_for_risk AS
SELECT r.id AS report_id, r.category,
       (least(k.severity_weight, p.risk_weight_cap) * u.reliability
        * CASE WHEN r.reported_during_alert AND c.report_id IS NULL
               THEN p.during_alert_factor ELSE 1 END)::real AS severity,
       r.occurred_at, r.received_at AS first_seen_at,
       least(CASE WHEN r.moderation_status = 'approved'
                  THEN greatest(r.received_at, r.moderated_at) END,
             CASE WHEN c.report_id IS NOT NULL
                  THEN greatest(r.received_at, c.corroborated_from) END) AS counts_from,
       public.h3_lat_lng_to_cell(r.geom::point, 10) AS h3_cell,
       c.report_id IS NOT NULL AS corroborated, r.reported_during_alert
FROM raw.user_reports r
CROSS JOIN ref.report_parameters p
JOIN ref.incident_categories k ON k.code = r.category AND k.counts_for_risk
JOIN ref.data_sources u ON u.code = 'user_reports'
LEFT JOIN raw.report_corroboration c ON c.report_id = r.id
WHERE r.moderation_status <> 'rejected'
  AND (r.moderation_status = 'approved' OR c.report_id IS NOT NULL)
  AND NOT (r.reported_during_alert AND c.report_id IS NULL AND p.during_alert_factor = 0);
COMMENT ON VIEW raw.reports_for_risk IS
    'Reports that feed risk (approved or corroborated), with their capped, reliability-weighted severity and the time they became eligible.';

-- Privileges (the API reads these): sql/099_grants.sql.
