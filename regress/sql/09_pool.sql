-- A session hands its next job to its own idle worker
-- (pg_background.worker_idle_timeout), reset to the state of a fresh one.
\set VERBOSITY terse
SET pg_background.worker_idle_timeout = '30s';

-- jobs one after another run in one worker, which waits idle in between
SELECT pg_background_launch('SELECT 1') AS p1 \gset
SELECT * FROM pg_background_result(:p1) AS (x int);
SELECT pg_background_launch('SELECT 2') AS p2 \gset
SELECT * FROM pg_background_result(:p2) AS (x int);
SELECT :p1 = :p2 AS same_worker;
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = ''idle'')', :p1));
SELECT backend_type, state, query FROM pg_stat_activity WHERE pid = :p1;

-- a detached job's worker is reused once it is done
SELECT pg_background_launch('SELECT 3') AS d1 \gset
SELECT pg_background_detach(:d1);
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = ''idle'')', :d1));
SELECT pg_background_launch('SELECT 4') AS d2 \gset
SELECT * FROM pg_background_result(:d2) AS (x int);
SELECT :d1 = :p1 AND :d2 = :p1 AS same_worker;

-- nothing a job leaves behind reaches the next one: temporary tables,
-- settings, prepared statements, cursors, advisory locks, role
CREATE ROLE pool_role;
GRANT pool_role TO CURRENT_USER;
GRANT EXECUTE ON FUNCTION pg_background_launch(text, int4), pg_background_result(int4) TO pool_role;
SET work_mem = '5MB';
SELECT pg_background_launch($$
  CREATE TEMP TABLE pool_tmp (x int);
  SET search_path = pg_catalog; SET work_mem = '77MB';
  PREPARE pool_stmt AS SELECT 1;
  DECLARE pool_cur CURSOR WITH HOLD FOR SELECT 1;
  SET ROLE pool_role;
  SELECT pg_advisory_lock(4242)$$) AS p3 \gset
SELECT * FROM pg_background_result(:p3) AS (x text);
SELECT pg_background_launch($$
  SELECT (SELECT count(*) FROM pg_class WHERE relname = 'pool_tmp') AS temp_tables,
         current_setting('search_path') AS search_path, current_setting('work_mem') AS work_mem,
         (SELECT count(*) FROM pg_prepared_statements) AS prepared,
         (SELECT count(*) FROM pg_cursors) AS cursors,
         (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS advisory_locks,
         current_user = session_user AS own_role$$) AS p4 \gset
SELECT * FROM pg_background_result(:p4) AS (temp_tables int8, search_path text, work_mem text,
  prepared int8, cursors int8, advisory_locks int8, own_role bool);
SELECT :p3 = :p1 AND :p4 = :p1 AS same_worker;
-- the session's identity travels with each job (in a worker of its own,
-- which leaves soon)
SET ROLE pool_role;
SET pg_background.worker_idle_timeout = '100ms';
SELECT * FROM pg_background_result(pg_background_launch('SELECT current_user')) AS (u name);
SET pg_background.worker_idle_timeout = '30s';
RESET ROLE;
RESET work_mem;

-- a job that ends in an error: the error is relayed, and the worker,
-- recovered and reset, takes the next job
SELECT pg_background_launch('SELECT 1 / 0') AS p5 \gset
SELECT * FROM pg_background_result(:p5) AS (x int);
SELECT pg_background_launch('SELECT 1') AS p6 \gset
SELECT * FROM pg_background_result(:p6) AS (x int);
SELECT :p5 = :p1 AND :p6 = :p1 AS same_worker;

-- a job cancelled while its queue was full cannot report through the
-- queue any more (pqmq.c): even detached (not an abort), its worker is not
-- reused, and the next job runs fine
SET statement_timeout = '300ms';
SELECT pg_background_launch('SELECT repeat(''x'', 1000) FROM generate_series(1, 100000)') AS s1 \gset
RESET statement_timeout;
SELECT pg_sleep(1);
SELECT pg_background_detach(:s1);
CALL pgbg_wait(format('NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = ''active'')', :s1));
SELECT pg_background_launch('SELECT 5') AS s2 \gset
SELECT * FROM pg_background_result(:s2) AS (x int);
SELECT :s1 <> :s2 AS new_worker;

-- the same when the job's SQL catches the cancel and ends normally: the
-- queue is unusable all the same, so the worker is not reused (a reused
-- one would lose the next job's output)
SELECT pg_background_launch($q$DO $d$ BEGIN
  LOOP
    BEGIN
      RAISE NOTICE '%', repeat('x', 1000);
    EXCEPTION WHEN query_canceled THEN
      EXIT;
    END;
  END LOOP;
END $d$$q$) AS k1 \gset
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event = ''MessageQueuePutMessage'')', :k1));
SELECT pg_cancel_backend(:k1);
CALL pgbg_wait(format('NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = ''active'')', :k1));
SELECT pg_background_detach(:k1);
SELECT pg_background_launch('SELECT 6') AS k2 \gset
SELECT * FROM pg_background_result(:k2) AS (x int);
SELECT :k1 <> :k2 AS new_worker;

-- an idle worker ignores a cancel (nothing to cancel) and takes the next
-- job; one terminated while idle is not handed another
SELECT pg_background_launch('SELECT 7') AS i1 \gset
SELECT * FROM pg_background_result(:i1) AS (x int);
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = ''idle'')', :i1));
SELECT pg_cancel_backend(:i1);
SELECT pg_sleep(0.2);
SELECT pg_background_launch('SELECT 8') AS i2 \gset
SELECT * FROM pg_background_result(:i2) AS (x int);
SELECT :i1 = :i2 AS same_worker;
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = ''idle'')', :i2));
SELECT pg_terminate_backend(:i2, 10000);
SELECT pg_background_launch('SELECT 9') AS i3 \gset
SELECT * FROM pg_background_result(:i3) AS (x int);
SELECT :i3 <> :i2 AS new_worker;

-- jobs launched before any is read run in workers of their own
SELECT pg_background_launch('SELECT pg_sleep(0.2)') AS c1 \gset
SELECT pg_background_launch('SELECT 2') AS c2 \gset
SELECT :c1 <> :c2 AS two_workers;
SELECT * FROM pg_background_result(:c2) AS (x int);
SELECT * FROM pg_background_result(:c1) AS (x text);

-- a job forgotten by a rollback retires its worker: its pid never names
-- a later job of the session
BEGIN;
SELECT pg_background_launch('SELECT 1') AS r1 \gset
ROLLBACK;
CALL pgbg_wait(format('NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s)', :r1));
SELECT pg_background_launch('SELECT 1') AS r2 \gset
SELECT :r1 <> :r2 AS new_worker;
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x int)', :r1));
SELECT * FROM pg_background_result(:r2) AS (x int);

-- an idle worker killed from outside is replaced, not waited for
SELECT pg_background_launch('SELECT 1') AS k1 \gset
SELECT * FROM pg_background_result(:k1) AS (x int);
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = ''idle'')', :k1));
SELECT pg_terminate_backend(:k1);
SELECT pg_background_launch('SELECT 7') AS k2 \gset
SELECT * FROM pg_background_result(:k2) AS (x int);
SELECT :k1 <> :k2 AS replaced;

-- idle workers leave after the session's timeout (not one the job set);
-- zero: no worker outlives its job
SET pg_background.worker_idle_timeout = '100ms';
SELECT pg_background_launch($$SET pg_background.worker_idle_timeout = '1h'; SELECT 1$$) AS t1 \gset
SELECT * FROM pg_background_result(:t1) AS (x int);
CALL pgbg_wait('NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = ''pg_background'')');
SET pg_background.worker_idle_timeout = 0;
SELECT pg_background_launch('SELECT 1') AS z1 \gset
SELECT * FROM pg_background_result(:z1) AS (x int);
SELECT pg_background_launch('SELECT 1') AS z2 \gset
SELECT * FROM pg_background_result(:z2) AS (x int);
SELECT :z1 <> :z2 AS no_reuse;
CALL pgbg_wait('NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = ''pg_background'')');
RESET pg_background.worker_idle_timeout;
REVOKE EXECUTE ON FUNCTION pg_background_launch(text, int4), pg_background_result(int4) FROM pool_role;
DROP ROLE pool_role;
