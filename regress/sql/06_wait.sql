-- The launcher's wait loop: latches keep waking it with Go loaded, it
-- reacts to statement_timeout and to a worker that dies, and nothing is
-- left behind afterwards.
\set VERBOSITY terse
SET statement_timeout = '120s';

-- many waits on a latch in a backend that has loaded Go: each result
-- arrives after a sleep in the worker, so each read must be woken
DO $$
DECLARE pid int; v int; total int := 0;
BEGIN
  FOR i IN 1..40 LOOP
    pid := pg_background_launch(format('SELECT %s FROM pg_sleep(0.01)', i));
    SELECT x INTO v FROM pg_background_result(pid) AS (x int);
    total := total + v;
  END LOOP;
  RAISE NOTICE 'sum of 40 results: %', total;
END $$;

-- statement_timeout interrupts a wait on a slow worker
SELECT pg_background_launch('SELECT pg_sleep(60)') AS pid \gset
SET statement_timeout = '200ms';
SELECT * FROM pg_background_result(:pid) AS (x text);
SET statement_timeout = '120s';
-- the interrupted read forgot the worker
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x text)', :pid));
SELECT pg_terminate_backend(:pid);

-- a worker terminated while we wait: a clear error, not a hang
SELECT pg_background_launch('SELECT pg_sleep(60)') AS pid \gset
-- (a new worker attaches to its queue before it connects: wait for that)
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event = ''PgSleep'')', :pid));
SELECT pg_terminate_backend(:pid);
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x text)', :pid));

-- out of worker slots: a clear error naming the setting (past
-- pg_background.max_workers' 16 jobs)
SET pg_background.max_workers = 1000;
DO $$
DECLARE pids int[] := '{}'; p int;
BEGIN
  BEGIN
    LOOP
      pids := pids || pg_background_launch('SELECT pg_sleep(60)');
      EXIT WHEN cardinality(pids) > 100;
    END LOOP;
  EXCEPTION WHEN insufficient_resources THEN
    RAISE NOTICE 'out of slots after some launches: %', cardinality(pids) > 0;
  END;
  -- a new worker attaches to its queue before it connects: terminate each
  -- once it is a backend
  FOREACH p IN ARRAY pids LOOP
    FOR i IN 1..3000 LOOP
      PERFORM pg_stat_clear_snapshot();
      EXIT WHEN EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = p);
      PERFORM pg_sleep(0.01);
    END LOOP;
    PERFORM pg_terminate_backend(p);
  END LOOP;
END $$;
SELECT pgbg_wait_slots();
-- the same error as psql shows it
CREATE FUNCTION wait_fill_slots() RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE pids int[] := '{}';
BEGIN
  LOOP
    BEGIN
      pids := pids || pg_background_launch('SELECT pg_sleep(60)');
    EXCEPTION WHEN insufficient_resources THEN
      RETURN pids;
    END;
  END LOOP;
END $$;
SELECT wait_fill_slots() AS pids \gset
\set VERBOSITY default
SELECT pg_background_launch('SELECT 1');
\set VERBOSITY terse
SELECT count(*) > 0 AS terminated FROM unnest(:'pids'::int[]) p WHERE pg_terminate_backend(p);
SELECT pgbg_wait_slots();

-- launches in aborted transactions and subtransactions leave no session
-- state: their results can no longer be read, and the workers still finish
CREATE TABLE wait_t (id int);
BEGIN;
SELECT pg_background_launch('INSERT INTO wait_t VALUES (1)') AS pid_a \gset
ROLLBACK;
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x text)', :pid_a));
BEGIN;
SAVEPOINT s;
SELECT pg_background_launch('INSERT INTO wait_t VALUES (2)') AS pid_b \gset
ROLLBACK TO s;
SELECT pg_background_launch('INSERT INTO wait_t VALUES (3)') AS pid_c \gset
COMMIT;
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x text)', :pid_b));
SELECT * FROM pg_background_result(:pid_c) AS (x text);
-- a launch in a committed subtransaction survives
BEGIN;
SAVEPOINT s;
SELECT pg_background_launch('SELECT 4') AS pid_d \gset
RELEASE s;
COMMIT;
SELECT * FROM pg_background_result(:pid_d) AS (x int);
-- an error mid-stream forgets the worker too
SELECT pg_background_launch('SELECT g FROM generate_series(1, 100000) g') AS pid_e \gset
SELECT * FROM pg_background_result(:pid_e) AS (x int2);
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x int)', :pid_e));

-- a thousand launches, mixed, then nothing is left: no workers, and no
-- session state (every pid is unknown afterwards)
DO $$
DECLARE p int;
BEGIN
  FOR i IN 1..1000 LOOP
    p := pg_background_launch(format('SELECT %s', i));
    CASE i % 4
      WHEN 0 THEN PERFORM * FROM pg_background_result(p) AS (x int);
      WHEN 1 THEN PERFORM pg_background_detach(p);
      WHEN 2 THEN BEGIN
          PERFORM * FROM pg_background_result(p) AS (x bool);
        EXCEPTION WHEN datatype_mismatch THEN NULL;
        END;
      ELSE BEGIN
          PERFORM pg_background_launch('SELECT 1');
          RAISE EXCEPTION 'abort the subtransaction';
        EXCEPTION WHEN raise_exception THEN NULL;
        END;
        PERFORM pg_background_detach(p);
    END CASE;
  END LOOP;
END $$;
CALL pgbg_wait('NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = ''pg_background'')');
SELECT count(*) AS workers_left FROM pg_stat_activity WHERE backend_type = 'pg_background';
SELECT count(*) FROM wait_t;
