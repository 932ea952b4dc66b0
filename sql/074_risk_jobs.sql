-- The API's one way to start the nightly pipeline: queue a run for the scheduler. The API
-- role may call this function but may not write ops.job_runs itself. Idempotent.

-- Queue a nightly run unless one is already queued or running; returns that run's id and
-- whether it was newly queued. SECURITY DEFINER (owner's rights), VOLATILE.
CREATE OR REPLACE FUNCTION ops.request_nightly_run(OUT run_id bigint, OUT queued boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Serialise concurrent requests so two callers cannot both queue a run.
    PERFORM pg_advisory_xact_lock(hashtext('halo.ops.request_nightly_run'));
    SELECT id INTO run_id FROM ops.job_runs
    WHERE kind = 'nightly' AND status IN ('queued', 'running')
    ORDER BY id DESC LIMIT 1;
    IF FOUND THEN
        queued := false;
        RETURN;
    END IF;
    INSERT INTO ops.job_runs (kind, status) VALUES ('nightly', 'queued') RETURNING id INTO run_id;
    queued := true;
END;
$$;
COMMENT ON FUNCTION ops.request_nightly_run() IS
    'Queue a nightly run (retrain, refresh, backtest) for the scheduler; one at a time.';
