-- Helpers for the other tests (pg_regress runs the files in order).
-- pgbg_try: run a statement, report 'ok' or its SQLSTATE and message with
-- pids masked (they differ on every run).
CREATE FUNCTION pgbg_try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN format('%s: %s', SQLSTATE, regexp_replace(SQLERRM, 'PID -?\d+', 'PID N', 'g'));
END $$;
-- pgbg_wait: poll a condition, committing between polls so that this
-- session holds no snapshot a waiting CREATE INDEX CONCURRENTLY would wait for.
CREATE PROCEDURE pgbg_wait(cond text) LANGUAGE plpgsql AS $$
DECLARE ok bool;
BEGIN
  FOR i IN 1..6000 LOOP
    EXECUTE 'SELECT ' || cond INTO ok;
    EXIT WHEN ok;
    COMMIT;
    PERFORM pg_sleep(0.01);
    COMMIT;
  END LOOP;
  IF NOT ok THEN RAISE EXCEPTION 'timed out waiting for %', cond; END IF;
END $$;
-- pgbg_wait_exit: wait until the worker with this pid has started (it
-- shows in pg_stat_activity once connected, after the launch returned) and
-- exited again; its job must take a moment (pg_sleep) to be seen running.
-- A function: usable inside a transaction block.
CREATE FUNCTION pgbg_wait_exit(worker int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE seen bool := false; here bool;
BEGIN
  FOR i IN 1..6000 LOOP
    PERFORM pg_stat_clear_snapshot();
    here := EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = worker);
    seen := seen OR here;
    IF seen AND NOT here THEN RETURN; END IF;
    PERFORM pg_sleep(0.01);
  END LOOP;
  RAISE EXCEPTION 'timed out waiting for background worker % to exit', worker;
END $$;
-- pgbg_wait_slots: after terminating workers, wait until the postmaster
-- has freed a worker slot again (bounded).
CREATE FUNCTION pgbg_wait_slots() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..3000 LOOP
    BEGIN
      PERFORM pg_background_detach(pg_background_launch('SELECT 1'));
      RETURN;
    EXCEPTION WHEN insufficient_resources THEN
      PERFORM pg_sleep(0.01);
    END;
  END LOOP;
  RAISE EXCEPTION 'no worker slot came free';
END $$;
