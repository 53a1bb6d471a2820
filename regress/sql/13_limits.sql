-- What one session may keep: unread jobs (pg_background.max_unread_jobs)
-- and memory (pg_background.max_session_memory); a job whose worker has
-- exited keeps only its unread output.
\set VERBOSITY terse
SET pg_background.worker_idle_timeout = 0;

-- unread jobs
SET pg_background.max_unread_jobs = 3;
SELECT pg_background_launch('SELECT 1') AS j1 \gset
SELECT pg_background_launch('SELECT 2') AS j2 \gset
SELECT pg_background_launch('SELECT 3') AS j3 \gset
SELECT pgbg_try('SELECT pg_background_launch(''SELECT 4'')');
\set VERBOSITY default
SELECT pg_background_launch('SELECT 4');
\set VERBOSITY terse
-- reading (or detaching) one makes room
SELECT * FROM pg_background_result(:j1) AS (x int);
SELECT pg_background_detach(:j2);
SELECT pg_background_launch('SELECT 4') AS j4 \gset
SELECT * FROM pg_background_result(:j3) AS (x int);
SELECT * FROM pg_background_result(:j4) AS (x int);
RESET pg_background.max_unread_jobs;

-- memory: a queue larger than the session may keep
SET pg_background.max_session_memory = '2MB';
SELECT pgbg_try('SELECT pg_background_launch(''SELECT 1'', 4 * 1024 * 1024)');
DO $$
DECLARE h text;
BEGIN
  PERFORM pg_background_launch('SELECT 1', 4 * 1024 * 1024);
EXCEPTION WHEN configuration_limit_exceeded THEN
  GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
  RAISE NOTICE 'hint: %', h;
END $$;
-- two 1.5 MB queues do not fit while both workers live ...
SELECT pg_background_launch('SELECT pg_sleep(0.3), 1', 1536 * 1024) AS m1 \gset
SELECT pgbg_try('SELECT pg_background_launch(''SELECT 2'', 1536 * 1024)');
-- ... but once the first worker has exited its job keeps only the unread
-- output, and the second fits; both results arrive intact
SELECT pgbg_wait_exit(:m1);
SELECT pg_background_launch('SELECT g, repeat(''y'', 100) FROM generate_series(1, 1000) g', 1536 * 1024) AS m2 \gset
SELECT * FROM pg_background_result(:m1) AS (s text, x int);
SELECT count(*), sum(g), min(length(y)) FROM pg_background_result(:m2) AS (g int, y text);
-- a spilled job's error, with its position in the SQL, and notices arrive too
SELECT pg_background_launch($$DO $d$BEGIN RAISE NOTICE 'before'; PERFORM pg_sleep(0.3); END$d$;
    SELECT 1 + 'x'::int$$, 1536 * 1024) AS m3 \gset
SELECT pgbg_wait_exit(:m3);
SELECT pg_background_launch('SELECT 1', 1536 * 1024) AS m4 \gset
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT * FROM pg_background_result(:m3) AS (x int);
\set SHOW_CONTEXT errors
\set VERBOSITY terse
SELECT * FROM pg_background_result(:m4) AS (x int);
-- a spilled job can be detached, and rolled back with its transaction
BEGIN;
SELECT pg_background_launch('SELECT pg_sleep(0.3), 5', 1536 * 1024) AS m5 \gset
SELECT pgbg_wait_exit(:m5);
SELECT pg_background_launch('SELECT pg_sleep(0.3), 6', 1536 * 1024) AS m6 \gset
ROLLBACK;
-- (the rolled-back job's worker runs on, its queue the session's, until it exits)
SELECT pgbg_wait_exit(:m6);
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x int)', :m5));
SELECT pg_background_launch('SELECT pg_sleep(0.3), 7', 1536 * 1024) AS m7 \gset
SELECT pgbg_wait_exit(:m7);
SELECT pg_background_launch('SELECT 8', 1536 * 1024) AS m8 \gset
SELECT pg_background_detach(:m7);
SELECT * FROM pg_background_result(:m8) AS (x int);

-- only a superuser sets the limits
CREATE ROLE limits_user;
SET ROLE limits_user;
SELECT pgbg_try('SET pg_background.max_session_memory = ''1GB''');
SELECT pgbg_try('SET pg_background.max_unread_jobs = 100000');
SELECT pgbg_try('SET pg_background.max_workers_per_role = 100');
SELECT pgbg_try('SET pg_background.max_worker_idle_timeout = ''1h''');
RESET ROLE;
DROP ROLE limits_user;
RESET pg_background.max_session_memory;
RESET pg_background.worker_idle_timeout;
