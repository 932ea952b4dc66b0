-- Features of the statsmodels model, computed in SQL: counts per resolution-8 cell and
-- week from what was known at `cutoff`, with lags, decayed sums of the cell and its ring,
-- the district rate and seasonality. Used by the nightly retrain and the backtest.

-- Incident counts (support shares) per resolution-8 cell and week before cutoff:
-- week_no 0 .. n_weeks - 1, oldest first; week n_weeks starts at cutoff. STABLE.
CREATE OR REPLACE FUNCTION risk.cell_week_counts(cutoff timestamptz, n_weeks integer)
RETURNS TABLE (cell h3index, week_no integer, n double precision)
LANGUAGE sql STABLE SET search_path = public, pg_temp
BEGIN ATOMIC
    SELECT h3_cell_to_parent(s.cell, 8),
           n_weeks - ceil(extract(epoch FROM cutoff - s.occurred) / 604800.0)::integer,
           sum(s.share)
    FROM risk.incident_shares(cutoff, cutoff - make_interval(days => 7 * n_weeks), cutoff) s
    GROUP BY 1, 2;
END;

-- One row per resolution-8 cell of the study area and week_no 0 .. n_weeks (the last is the
-- week to predict: observed is NULL). Features use only weeks before the row's week: the
-- last 52 weeks' count and a decayed sum (half-life 13 weeks) of the cell, the decayed sum
-- of its first ring, its district's decayed rate, the season. (Last-week and last-4-week
-- counts were tried and dropped: with ~16 located incidents a week in the city they only
-- added noise in the backtest.) STABLE.
CREATE OR REPLACE FUNCTION risk.cell_week_features(cutoff timestamptz, n_weeks integer)
RETURNS TABLE (cell h3index, district_id integer, week_no integer, week_start timestamptz,
               observed double precision, last52 double precision, decayed double precision,
               ring_decayed double precision, district_rate double precision,
               woy_sin double precision, woy_cos double precision, area_km2 double precision)
LANGUAGE sql STABLE SET search_path = public, pg_temp
BEGIN ATOMIC
    WITH cells8 AS (
        SELECT c.cell, c.district_id, c.area_km2 FROM risk.cells c WHERE c.resolution = 8
    ),
    counts AS (SELECT * FROM risk.cell_week_counts(cutoff, n_weeks)),
    grid AS (
        SELECT c.cell, c.district_id, c.area_km2, w.week_no,
               CASE WHEN w.week_no < n_weeks THEN coalesce(k.n, 0) END AS y,
               coalesce(k.n, 0) AS y0
        FROM cells8 c
        CROSS JOIN generate_series(0, n_weeks) AS w(week_no)
        LEFT JOIN counts k ON k.cell = c.cell AND k.week_no = w.week_no
    ),
    lagged AS (
        SELECT g.*,
               sum(g.y0) OVER (w ROWS BETWEEN 52 PRECEDING AND 1 PRECEDING) AS last52,
               -- sum_{j<t} y_j * lambda^(t-1-j), lambda = 0.5^(1/13), via a running sum.
               power(0.5, (g.week_no - 1) / 13.0)
                 * sum(g.y0 * power(0.5, -g.week_no / 13.0))
                   OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS decayed
        FROM grid g
        WINDOW w AS (PARTITION BY g.cell ORDER BY g.week_no)
    ),
    ring AS (
        SELECT l.cell, l.week_no, avg(nb.decayed) AS ring_decayed
        FROM lagged l
        CROSS JOIN LATERAL h3_grid_disk(l.cell, 1) AS disk(cell)
        JOIN lagged nb ON nb.cell = disk.cell AND nb.week_no = l.week_no
        WHERE disk.cell <> l.cell
        GROUP BY l.cell, l.week_no
    ),
    district AS (
        SELECT l.district_id, l.week_no, sum(l.decayed) / sum(l.area_km2) AS rate
        FROM lagged l GROUP BY l.district_id, l.week_no
    )
    SELECT l.cell, l.district_id, l.week_no,
           cutoff - make_interval(days => 7 * (n_weeks - l.week_no)),
           l.y, coalesce(l.last52, 0),
           coalesce(l.decayed, 0), coalesce(r.ring_decayed, 0), coalesce(d.rate, 0),
           sin(2 * pi() * extract(doy FROM cutoff - make_interval(days => 7 * (n_weeks - l.week_no))) / 365.25),
           cos(2 * pi() * extract(doy FROM cutoff - make_interval(days => 7 * (n_weeks - l.week_no))) / 365.25),
           l.area_km2
    FROM lagged l
    LEFT JOIN ring r ON r.cell = l.cell AND r.week_no = l.week_no
    LEFT JOIN district d ON d.district_id = l.district_id AND d.week_no = l.week_no
    ORDER BY l.week_no, l.cell;
END;
