-- A reused worker is a fresh backend for every job: what PostgresMain and
-- exec_simple_query do per query, a worker does per job, and nothing of one
-- job (or identity) reaches the next.
\set VERBOSITY terse
SET pg_background.worker_idle_timeout = '30s';
CREATE TABLE fresh_log (n int, at timestamptz DEFAULT now(), st timestamptz DEFAULT statement_timestamp());

-- now() and statement_timestamp() are the job's, not the worker's start
SELECT pg_background_launch('INSERT INTO fresh_log (n) VALUES (1)') AS f1 \gset
SELECT * FROM pg_background_result(:f1) AS (r text);
SELECT pg_sleep(0.4);
SELECT pg_background_launch('INSERT INTO fresh_log (n) VALUES (2)') AS f2 \gset
SELECT * FROM pg_background_result(:f2) AS (r text);
SELECT :f1 = :f2 AS same_worker,
       max(at) - min(at) >= interval '0.3 s' AS now_moved,
       max(st) - min(st) >= interval '0.3 s' AS statement_timestamp_moved
  FROM fresh_log;
-- and pg_stat_activity's query_start and xact_start are the running job's
SELECT pg_background_launch('SELECT pg_sleep(0.5)') AS f3 \gset
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = ''active'')', :f3));
SELECT :f3 = :f1 AS same_worker,
       now() - query_start < interval '0.3 s' AS query_start_fresh,
       now() - xact_start < interval '0.3 s' AS xact_start_fresh
  FROM pg_stat_activity WHERE pid = :f3;
SELECT * FROM pg_background_result(:f3) AS (x text);

-- statement_timeout applies to each statement, as with psql -c
SET statement_timeout = '700ms';
SELECT pg_background_launch(
    'SELECT pg_sleep(0.4); SELECT pg_sleep(0.4); SELECT ''each statement in time''') AS t1 \gset
RESET statement_timeout;
SELECT * FROM pg_background_result(:t1) AS (x text);

-- the result of a string of statements is the last statement's (PQexec)
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT pg_sleep(0.1); SELECT ''done''')) AS (result text);
SELECT * FROM pg_background_result(pg_background_launch('SELECT 1, 2; SELECT 3')) AS (x int);
CREATE TABLE fresh_m (x int);
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT 1; INSERT INTO fresh_m VALUES (1)')) AS (r text);
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT g FROM generate_series(1, 3) g; SELECT ''x'' WHERE false')) AS (r text);
DO $$
DECLARE r text;
BEGIN
  SELECT x INTO r FROM pg_background_result(pg_background_launch(
      'SELECT pg_sleep(0.1); SELECT ''plpgsql gets the last'''::text)) AS (x text);
  RAISE NOTICE '%', r;
END $$;
-- notices of every statement still arrive
SELECT * FROM pg_background_result(pg_background_launch(
    $$DO $d$BEGIN RAISE NOTICE 'first'; END$d$; SELECT 'second'$$)) AS (r text);
-- a string ending inside BEGIN is rolled back, with a warning
SELECT * FROM pg_background_result(pg_background_launch(
    'BEGIN; INSERT INTO fresh_m VALUES (2)')) AS (r text);
SELECT count(*) AS committed_rows FROM fresh_m;

-- error recovery drops temporary replication slots, as PostgresMain's
SELECT pg_background_launch(
    $$SELECT pg_create_physical_replication_slot('fresh_tmp_slot', true, true); SELECT 1/0$$) AS f4 \gset
SELECT * FROM pg_background_result(:f4) AS (r text);
SELECT :f4 = :f1 AS same_worker, count(*) AS slots_left
  FROM pg_replication_slots WHERE slot_name = 'fresh_tmp_slot';
-- and so does the end of a job that succeeded (a new backend has none)
SELECT * FROM pg_background_result(pg_background_launch(
    $$SELECT slot_name FROM pg_create_physical_replication_slot('fresh_tmp_slot', true, true)$$)) AS (r text);
SELECT count(*) AS slots_left FROM pg_replication_slots WHERE slot_name = 'fresh_tmp_slot';

-- recovery aborts the job's transaction before its error report, which
-- may wait for room in a queue the launcher does not read yet: the job's
-- locks are gone by then, and the worker can be terminated meanwhile
CREATE TABLE fresh_lk (id int PRIMARY KEY, v int);
INSERT INTO fresh_lk VALUES (1, 0);
SELECT pg_background_launch($q$UPDATE fresh_lk SET v = v + 1 WHERE id = 1;
  DO $d$BEGIN RAISE EXCEPTION '%', repeat('e', 100000); END$d$$q$, 1024) AS e1 \gset
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event = ''MessageQueuePutMessage'')', :e1));
SET lock_timeout = '5s';
UPDATE fresh_lk SET v = v + 10 WHERE id = 1;
RESET lock_timeout;
SELECT pg_terminate_backend(:e1, 10000);
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x text)', :e1));
SELECT v FROM fresh_lk;
DROP TABLE fresh_lk;

-- random() after another job's setseed() is not that seed's sequence
SELECT setseed(0.25);
SELECT random() AS seeded \gset
SELECT * FROM pg_background_result(pg_background_launch('SELECT setseed(0.25)')) AS (r text);
SELECT pg_background_launch('SELECT random()') AS f5 \gset
SELECT x <> :seeded AS not_seeded, :f5 = :f1 AS same_worker
  FROM pg_background_result(:f5) AS (x float8);

-- a custom setting a job created does not exist for the next job
SELECT pg_background_launch($$SET fresh.flag = 'on'; SELECT current_setting('fresh.flag')$$) AS f6 \gset
SELECT * FROM pg_background_result(:f6) AS (r text);
SELECT pg_background_launch($$SELECT current_setting('fresh.flag', true) IS NULL$$) AS f7 \gset
SELECT * FROM pg_background_result(:f7) AS (unset bool);
SELECT :f6 <> :f7 AS new_worker;
-- also when the job loads a library that turns a placeholder the launcher
-- sent into a setting of its own (the number of placeholders stays)
SET plpgsql.extra_warnings = 'shadowed_variables';
SELECT pg_background_launch($$SET fresh.other = 'on'; LOAD 'plpgsql'$$) AS f10 \gset
SELECT * FROM pg_background_result(:f10) AS (r text);
SELECT pg_background_launch($$SELECT current_setting('fresh.other', true) IS NULL$$) AS f11 \gset
SELECT * FROM pg_background_result(:f11) AS (unset bool);
SELECT :f7 = :f10 AS same_worker, :f10 <> :f11 AS new_worker;
RESET plpgsql.extra_warnings;

-- jobs a job launched and did not read are not the next job's to read
SELECT pg_background_launch($$SELECT pg_background_launch('SELECT 42')$$) AS f8 \gset
SELECT nested FROM pg_background_result(:f8) AS (nested int) \gset
SELECT pg_background_launch(format('SELECT * FROM pg_background_result(%s) AS (x int)', :nested)) AS f9 \gset
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x text)', :f9));
SELECT :f8 = :f9 AS same_worker;

-- the role: a job's SET LOCAL ROLE rolled back returns to the launcher's
-- role, never to one a previous job set
CREATE ROLE fresh_a;
CREATE ROLE fresh_b;
GRANT fresh_a, fresh_b TO CURRENT_USER;
GRANT EXECUTE ON FUNCTION pg_background_launch(text, int4), pg_background_result(int4) TO fresh_a;
SELECT pg_background_launch('SET ROLE fresh_a; SELECT current_user') AS r1 \gset
SELECT * FROM pg_background_result(:r1) AS (u name);
SELECT pg_background_launch(
    'BEGIN; SET LOCAL ROLE fresh_b; ROLLBACK; SELECT current_user = session_user') AS r2 \gset
SELECT * FROM pg_background_result(:r2) AS (own_user bool);
SELECT :r1 = :r2 AS same_worker;
-- and the launcher's SET ROLE is the job's role setting, which it returns to
SET ROLE fresh_a;
SELECT * FROM pg_background_result(pg_background_launch(
    'BEGIN; SET LOCAL ROLE fresh_b; ROLLBACK; SELECT current_user, current_setting(''role'')')) AS (u name, r text);
RESET ROLE;

-- a worker serves one identity: another role gets another worker
SELECT pg_background_launch('SELECT 1') AS i1 \gset
SELECT * FROM pg_background_result(:i1) AS (x int);
SET ROLE fresh_a;
SET pg_background.worker_idle_timeout = '100ms';
SELECT pg_background_launch('SELECT current_user') AS i2 \gset
SELECT * FROM pg_background_result(:i2) AS (u name);
SET pg_background.worker_idle_timeout = '30s';
RESET ROLE;
SELECT pg_background_launch('SELECT 3') AS i3 \gset
SELECT * FROM pg_background_result(:i3) AS (x int);
SELECT :i1 <> :i2 AS other_worker_for_other_role, :i1 = :i3 AS own_worker_again;

-- an idle worker shows a new backend's idle state, not its last query
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = ''idle'')', :i3));
SELECT state, query FROM pg_stat_activity WHERE pid = :i3;

RESET pg_background.worker_idle_timeout;
SELECT bool_and(pg_terminate_backend(pid, 10000)) IS NOT FALSE AS workers_gone
  FROM pg_stat_activity WHERE backend_type = 'pg_background';
DROP TABLE fresh_log, fresh_m;
REVOKE EXECUTE ON FUNCTION pg_background_launch(text, int4), pg_background_result(int4) FROM fresh_a;
DROP ROLE fresh_a, fresh_b;
