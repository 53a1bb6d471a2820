-- The v2 API (the original extension's 1.8): handles, submit, cancel,
-- wait, list, stats, progress, settings, grants.
\set VERBOSITY terse
CREATE TABLE v2t (x int);
CREATE FUNCTION v2_list() RETURNS TABLE (state text, sql_preview text, last_error text, consumed bool, queue_size int4)
LANGUAGE sql AS $$
  SELECT state, sql_preview, last_error, consumed, queue_size
    FROM pg_background_list_v2() AS (pid int4, cookie int8, launched_at timestamptz, user_id oid,
                                     queue_size int4, state text, sql_preview text, last_error text, consumed bool)
   ORDER BY launched_at $$;
-- as pgbg_try, catching a query cancel too, and masking worker pids
CREATE FUNCTION v2_try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN query_canceled OR others THEN
  RETURN format('%s: %s', SQLSTATE, regexp_replace(SQLERRM, '(PID|worker) -?\d+', '\1 N', 'g'));
END $$;

-- launch, read once (the session's first and only worker so far)
SELECT (h).pid AS p1, (h).cookie AS c1 FROM (SELECT pg_background_launch_v2('SELECT 6 * 7') h) s \gset
SELECT * FROM pg_background_result_v2(:p1, :c1) AS (x int);
-- a read job's handle is refused, also once its pid runs a newer job
SELECT v2_try(format('SELECT * FROM pg_background_result_v2(%s, %s) AS (x int)', :p1, :c1));
-- (once the worker is idle again: then the next launch is its)
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = ''idle'')', :p1));
SELECT (h).pid AS p2, (h).cookie AS c2 FROM (SELECT pg_background_launch_v2('SELECT pg_sleep(0.2), 7') h) s \gset
SELECT :p1 = :p2 AS same_worker, :c1 <> :c2 AS new_cookie;
SELECT v2_try(format('SELECT * FROM pg_background_result_v2(%s, %s) AS (s text, x int)', :p2, :c1));
SELECT v2_try(format('SELECT pg_background_wait_v2(%s, %s)', :p2, :c1));
SELECT v2_try(format('SELECT pg_background_cancel_v2(%s, %s)', :p2, :c1));
SELECT v2_try(format('SELECT pg_background_detach_v2(%s, %s)', :p2, :c1));
SELECT v2_try(format('SELECT pg_background_get_progress_v2(%s, %s)', :p2, :c1));
-- ... and consumed nothing: the newer job is intact
SELECT x FROM pg_background_result_v2(:p2, :c2) AS (s text, x int);
SELECT v2_try('SELECT * FROM pg_background_result_v2(1, 1) AS (x int)');
-- the handle is a pg_background_handle
SELECT pg_typeof(h), pg_background_detach_v2((h).pid, (h).cookie)
  FROM (SELECT pg_background_launch_v2('SELECT 1') h) s;
SELECT pg_background_detach_v2((h).pid, (h).cookie) FROM (SELECT pg_background_launch_v2('SELECT 1') h) s;

-- arguments
SELECT v2_try('SELECT pg_background_launch_v2(NULL)');
SELECT v2_try('SELECT pg_background_launch_v2('''')');
SELECT v2_try('SELECT pg_background_launch_v2(''SELECT 1'', -1)');
SELECT v2_try('SELECT pg_background_launch_v2(''SELECT 1'', 10)');
SELECT v2_try('SELECT * FROM pg_background_result_v2(NULL, 1) AS (x int)');
SELECT v2_try('SELECT pg_background_wait_v2(1, NULL)');
SELECT v2_try('SELECT pg_background_cancel_v2(NULL, NULL)');
-- queue_size omitted, NULL or 0: pg_background.default_queue_size
SET pg_background.default_queue_size = '16kB';
SELECT pg_background_launch_v2('SELECT 1', NULL) AS h1, pg_background_launch_v2('SELECT 1', 0) AS h2,
       pg_background_launch('SELECT 1') AS v1pid \gset
SELECT queue_size FROM v2_list();
SELECT pg_background_detach(:v1pid);
SELECT pg_background_detach_v2((h).pid, (h).cookie) FROM (VALUES (:'h1'::pg_background_handle), (:'h2'::pg_background_handle)) v(h);
RESET pg_background.default_queue_size;
SELECT regexp_replace(v2_try('SET pg_background.default_queue_size = 100'), ' \(.*\)$', '') AS error;  -- (the range's wording varies by major)
SELECT regexp_replace(v2_try('SET pg_background.max_workers = 0'), ' \(.*\)$', '') AS error;  -- (the range's wording varies by major)
SELECT regexp_replace(v2_try('SET pg_background.worker_timeout = -1'), ' \(.*\)$', '') AS error;  -- (the range's wording varies by major)
SHOW pg_background.max_workers;
SHOW pg_background.worker_timeout;

-- wait: the job ends while we wait, its output (larger than its queue) is
-- kept for the result
SELECT (h).pid AS p, (h).cookie AS c FROM
  (SELECT pg_background_launch_v2('SELECT g FROM generate_series(1, 50000) g', 4096) h) s \gset
SELECT pg_background_wait_v2(:p, :c);
SELECT state FROM v2_list();
SELECT count(*), sum(g) FROM pg_background_result_v2(:p, :c) AS (g int);
-- with a timeout: false while it runs, true once it has ended
SELECT (h).pid AS p, (h).cookie AS c FROM (SELECT pg_background_launch_v2('SELECT pg_sleep(2)') h) s \gset
SELECT pg_background_wait_v2_timeout(:p, :c, 50);
SELECT state FROM v2_list();
SELECT pg_background_wait_v2_timeout(:p, :c, 60000);
SELECT pg_background_wait_v2_timeout(:p, :c, 0);
SELECT v2_try(format('SELECT pg_background_wait_v2_timeout(%s, %s, -1)', :p, :c));
SELECT * FROM pg_background_result_v2(:p, :c) AS (x text);
-- a wait for a job that waits for our lock is a deadlock (40P01)
SELECT (h).pid AS p, (h).cookie AS c FROM
  (SELECT pg_background_launch_v2('SELECT pg_sleep(0.5); INSERT INTO v2t VALUES (99)') h) s \gset
BEGIN;
LOCK v2t;
SELECT v2_try(format('SELECT pg_background_wait_v2(%s, %s)', :p, :c));
ROLLBACK;
SELECT pg_background_wait_v2(:p, :c);
SELECT * FROM pg_background_result_v2(:p, :c) AS (x text);
DELETE FROM v2t;

-- cancel before the commit: nothing of the job commits (NOTIFY: TAP 009_v2)
SELECT (h).pid AS p, (h).cookie AS c FROM
  (SELECT pg_background_launch_v2($$INSERT INTO v2t VALUES (1); NOTIFY v2chan, 'canceled'; SELECT pg_sleep(60)$$) h) s \gset
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event = ''PgSleep'')', :p));
SELECT pg_background_cancel_v2(:p, :c);
SELECT pg_background_wait_v2(:p, :c);
SELECT state, last_error FROM v2_list();
SELECT v2_try(format('SELECT * FROM pg_background_result_v2(%s, %s) AS (x text)', :p, :c));
SELECT count(*) AS rows_committed FROM v2t;
-- the worker is reusable afterwards: it goes idle instead of exiting
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = ''idle'')', :p));
-- cancel after the commit changes nothing
SELECT (h).pid AS p, (h).cookie AS c FROM
  (SELECT pg_background_launch_v2($$INSERT INTO v2t VALUES (2); NOTIFY v2chan, 'committed'$$) h) s \gset
SELECT pg_background_wait_v2(:p, :c);
SELECT pg_background_cancel_v2(:p, :c);
SELECT state, last_error FROM v2_list();
SELECT * FROM pg_background_result_v2(:p, :c) AS (x text);
SELECT x FROM v2t;

-- a wait is pg_background_result's wait: statement_timeout ends it, and
-- the job is still there to wait for or read
SELECT (h).pid AS p, (h).cookie AS c FROM (SELECT pg_background_launch_v2('SELECT pg_sleep(1), 5') h) s \gset
SET statement_timeout = '100ms';
SELECT v2_try(format('SELECT pg_background_wait_v2(%s, %s)', :p, :c));
RESET statement_timeout;
SELECT x FROM pg_background_result_v2(:p, :c) AS (s text, x int);
-- the output a wait keeps is bounded by pg_background.max_session_memory
SET pg_background.max_session_memory = '200kB';
SELECT (h).pid AS p, (h).cookie AS c FROM
  (SELECT pg_background_launch_v2('SELECT repeat(''x'', 1000) FROM generate_series(1, 1000)', 16384) h) s \gset
SELECT v2_try(format('SELECT pg_background_wait_v2(%s, %s)', :p, :c));
-- ... and read, it streams within it
SELECT count(*), sum(length(r)) FROM pg_background_result_v2(:p, :c) AS (r text);
-- a grace whose wait fails cancels all the same
SELECT (h).pid AS p, (h).cookie AS c FROM
  (SELECT pg_background_launch_v2('SELECT repeat(''x'', 1000) || CASE WHEN g = 1000 THEN pg_sleep(60)::text ELSE '''' END
                                   FROM generate_series(1, 1000) g', 16384) h) s \gset
SELECT v2_try(format('SELECT pg_background_cancel_v2_grace(%s, %s, 30000)', :p, :c));
RESET pg_background.max_session_memory;
SELECT pg_background_wait_v2(:p, :c);
SELECT state FROM v2_list();
SELECT pg_background_detach_v2(:p, :c);

-- cancel with grace: a job that ends within the grace commits ...
SELECT (h).pid AS p, (h).cookie AS c FROM
  (SELECT pg_background_launch_v2('SELECT pg_sleep(0.2); INSERT INTO v2t VALUES (3)') h) s \gset
SELECT pg_background_cancel_v2_grace(:p, :c, 30000);
SELECT * FROM pg_background_result_v2(:p, :c) AS (x text);
-- ... one that does not is canceled when the grace is over
SELECT (h).pid AS p, (h).cookie AS c FROM
  (SELECT pg_background_launch_v2('INSERT INTO v2t VALUES (4); SELECT pg_sleep(60)') h) s \gset
SELECT pg_background_cancel_v2_grace(:p, :c, 100);
SELECT pg_background_wait_v2(:p, :c);
SELECT state FROM v2_list();
SELECT v2_try(format('SELECT * FROM pg_background_result_v2(%s, %s) AS (x text)', :p, :c));
SELECT v2_try('SELECT pg_background_cancel_v2_grace(1, 1, -1)');
SELECT (h).pid AS p, (h).cookie AS c FROM (SELECT pg_background_launch_v2('SELECT 1') h) s \gset
SELECT v2_try(format('SELECT pg_background_cancel_v2_grace(%s, %s, -1)', :p, :c));
SELECT v2_try(format('SELECT pg_background_cancel_v2_grace(%s, %s, NULL)', :p, :c));
SELECT * FROM pg_background_result_v2(:p, :c) AS (x int);
SELECT x FROM v2t ORDER BY x;

-- submit: fire and forget; nothing of it stays in the session once done
SELECT (h).pid AS p, (h).cookie AS c FROM
  (SELECT pg_background_submit_v2($$DO $d$BEGIN RAISE NOTICE 'not relayed'; END$d$;
                                   INSERT INTO v2t VALUES (5); SELECT generate_series(1, 100000)$$, 4096) h) s \gset
SELECT v2_try(format('SELECT * FROM pg_background_result_v2(%s, %s) AS (x int)', :p, :c));
SELECT pg_background_wait_v2(:p, :c);
SELECT count(*) FROM v2_list();
SELECT v2_try(format('SELECT pg_background_wait_v2(%s, %s)', :p, :c));
SELECT x FROM v2t WHERE x = 5;
-- a failing submitted job is forgotten too
SELECT pg_background_submit_v2('SELECT 1/0') IS NOT NULL AS submitted;
CALL pgbg_wait('(SELECT count(*) FROM v2_list()) = 0');

-- an error message longer than last_error keeps is cut at a character
SELECT (h).pid AS p, (h).cookie AS c FROM
  (SELECT pg_background_launch_v2($q$DO $d$ BEGIN RAISE EXCEPTION '%', repeat('é', 200); END $d$$q$) h) s \gset
SELECT pg_background_wait_v2(:p, :c);
SELECT octet_length(last_error), convert_to(last_error, 'UTF8') IS NOT NULL AS valid FROM v2_list();
SELECT pg_background_detach_v2(:p, :c);
-- max_workers counts jobs detached while they run
SET pg_background.max_workers = 1;
SELECT pg_background_detach_v2((h).pid, (h).cookie) FROM (SELECT pg_background_launch_v2('SELECT pg_sleep(2)') h) s;
SELECT v2_try('SELECT pg_background_launch_v2(''SELECT 1'')');
SELECT workers_active FROM pg_background_stats_v2();
CALL pgbg_wait('(SELECT workers_active FROM pg_background_stats_v2()) = 0');
RESET pg_background.max_workers;
-- a reused worker's statistics start from zero (a fresh backend's)
SELECT * FROM pg_background_result(pg_background_launch(
  $$SELECT * FROM pg_background_result(pg_background_launch('SELECT 1')) AS (x int)$$)) AS (x int);
SELECT * FROM pg_background_result(pg_background_launch(
  'SELECT workers_launched FROM pg_background_stats_v2()')) AS (n int8);

-- list after success, error and cancel; one row per job
SELECT pg_background_launch_v2('SELECT 1') AS ok, pg_background_launch_v2('SELECT 1/0') AS err,
       pg_background_launch_v2('SELECT pg_sleep(60)') AS slow \gset
SELECT pg_background_wait_v2((:'ok'::pg_background_handle).pid, (:'ok'::pg_background_handle).cookie);
SELECT pg_background_wait_v2((:'err'::pg_background_handle).pid, (:'err'::pg_background_handle).cookie);
SELECT pg_background_cancel_v2((:'slow'::pg_background_handle).pid, (:'slow'::pg_background_handle).cookie);
SELECT pg_background_wait_v2((:'slow'::pg_background_handle).pid, (:'slow'::pg_background_handle).cookie);
SELECT * FROM v2_list();
SELECT v2_try('SELECT * FROM pg_background_list_v2() AS (pid int4, cookie int8)');
SELECT v2_try('SELECT pg_background_list_v2()');
SELECT workers_completed >= 1 AS completed, workers_active FROM pg_background_stats_v2();
SELECT pg_background_detach_v2(pid, cookie) FROM pg_background_list_v2()
  AS (pid int4, cookie int8, launched_at timestamptz, user_id oid, queue_size int4, state text,
      sql_preview text, last_error text, consumed bool);
SELECT count(*) FROM v2_list();

-- stats count this session's jobs
SELECT workers_launched > 0 AS launched, workers_failed > 0 AS failed, workers_canceled > 0 AS canceled,
       avg_execution_ms > 0 AS timed, max_workers FROM pg_background_stats_v2();
SELECT (s).workers_launched AS before FROM pg_background_stats_v2() s \gset
SELECT * FROM pg_background_result(pg_background_launch('SELECT 1')) AS (x int);
SELECT workers_launched - :before AS launched_since FROM pg_background_stats_v2();

-- progress: NULL until reported, then what the job said
SELECT (h).pid AS p, (h).cookie AS c FROM
  (SELECT pg_background_launch_v2($$SELECT pg_sleep(0.3); SELECT pg_background_progress(150, 'phase ' || repeat('é', 40));
                                    SELECT pg_sleep(60)$$) h) s \gset
SELECT * FROM pg_background_get_progress_v2(:p, :c);
CALL pgbg_wait(format('(pg_background_get_progress_v2(%s, %s)).progress_pct IS NOT NULL', :p, :c));
SELECT progress_pct, progress_msg, octet_length(progress_msg) FROM pg_background_get_progress_v2(:p, :c);
SELECT pg_background_cancel_v2(:p, :c);
SELECT pg_background_wait_v2(:p, :c);
SELECT progress_pct FROM pg_background_get_progress_v2(:p, :c);
SELECT pg_background_detach_v2(:p, :c);
SELECT v2_try('SELECT pg_background_progress(10, ''outside'')');
SELECT * FROM pg_background_result(pg_background_launch($$SELECT pg_background_progress(-5)$$)) AS (x text);

-- max_workers counts running jobs, not ended ones waiting to be read
SET pg_background.max_workers = 1;
SELECT (h).pid AS p, (h).cookie AS c FROM (SELECT pg_background_launch_v2('SELECT pg_sleep(2)') h) s \gset
SELECT v2_try('SELECT pg_background_launch_v2(''SELECT 2'')');
SELECT pg_background_wait_v2(:p, :c);
SELECT pg_background_launch_v2('SELECT 2') AS h \gset
SELECT * FROM pg_background_result_v2(:p, :c) AS (x text);
SELECT * FROM pg_background_result_v2((:'h'::pg_background_handle).pid, (:'h'::pg_background_handle).cookie) AS (x int);
RESET pg_background.max_workers;

-- worker_timeout: the job is canceled and says it timed out
SET pg_background.worker_timeout = '200ms';
SELECT (h).pid AS p, (h).cookie AS c FROM
  (SELECT pg_background_launch_v2('INSERT INTO v2t VALUES (6); SELECT pg_sleep(60)') h) s \gset
RESET pg_background.worker_timeout;
SELECT pg_background_wait_v2(:p, :c);
SELECT state, last_error FROM v2_list();
SELECT v2_try(format('SELECT * FROM pg_background_result_v2(%s, %s) AS (x text)', :p, :c));
SELECT count(*) FROM v2t WHERE x = 6;
-- a job that ends in time is not touched
SET pg_background.worker_timeout = '30s';
SELECT * FROM pg_background_result(pg_background_launch('SELECT 8')) AS (x int);
RESET pg_background.worker_timeout;

-- a job runs as the launcher's current user
CREATE ROLE v2_user;
GRANT pgbackground_role TO v2_user;
GRANT ALL ON v2t TO v2_user;
SET ROLE v2_user;
SELECT (h).pid AS p, (h).cookie AS c FROM (SELECT pg_background_launch_v2('SELECT current_user::text') h) s \gset
SELECT * FROM pg_background_result_v2(:p, :c) AS (u text);
RESET ROLE;

-- grants: nothing for PUBLIC; the helpers grant and revoke the whole API
SELECT count(*) AS public_executable FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_background'
 WHERE has_function_privilege('public', p.oid, 'EXECUTE');
CREATE ROLE v2_grantee;
SELECT grant_pg_background_privileges('v2_grantee', true);
SELECT count(*) FILTER (WHERE has_function_privilege('v2_grantee', p.oid, 'EXECUTE')) AS granted, count(*) AS functions
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_background'
 WHERE p.proname NOT LIKE '%privileges' AND p.proname <> 'pg_background_drop_executor_role';
SELECT has_type_privilege('v2_grantee', 'pg_background_handle', 'USAGE');
SELECT revoke_pg_background_privileges('v2_grantee');
SELECT count(*) FILTER (WHERE has_function_privilege('v2_grantee', p.oid, 'EXECUTE')) AS granted
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_background';
-- a caller's temporary tables do not stand in for the catalog
CREATE TEMP TABLE pg_extension (oid oid, extname name, extnamespace oid);
INSERT INTO pg_extension VALUES (0, 'pg_background', 'pg_toast'::regnamespace);
SELECT grant_pg_background_privileges('v2_grantee');
SELECT has_function_privilege('v2_grantee', 'public.pg_background_launch_v2(text, int4)', 'EXECUTE');
SELECT revoke_pg_background_privileges('v2_grantee');
DROP TABLE pg_temp.pg_extension;
SELECT grant_pg_background_privileges('no_such_role');
SELECT grant_pg_background_privileges(NULL);
SET ROLE v2_user;
SELECT v2_try('SELECT grant_pg_background_privileges(''v2_user'')');
RESET ROLE;
-- relocation: the API and the helpers follow the extension's schema
CREATE SCHEMA v2s;
ALTER EXTENSION pg_background SET SCHEMA v2s;
SELECT v2s.grant_pg_background_privileges('v2_grantee');
SELECT has_function_privilege('v2_grantee', 'v2s.pg_background_launch_v2(text, int4)', 'EXECUTE');
SELECT (h).pid AS p, (h).cookie AS c FROM (SELECT v2s.pg_background_launch_v2('SELECT 5') h) s \gset
SELECT * FROM v2s.pg_background_result_v2(:p, :c) AS (x int);
SELECT max_workers FROM v2s.pg_background_stats_v2();
SELECT v2s.revoke_pg_background_privileges('v2_grantee');
ALTER EXTENSION pg_background SET SCHEMA public;
DROP SCHEMA v2s;

DROP ROLE v2_grantee;
REVOKE ALL ON v2t FROM v2_user;
DROP ROLE v2_user;
DROP FUNCTION v2_list();
DROP FUNCTION v2_try(text);
DROP TABLE v2t;
