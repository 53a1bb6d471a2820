-- What a session pays for pg_background's bookkeeping does not grow with
-- the number of calls or waits, and a worker's memory does not grow with
-- the number of statements in a string.  (Memory, never speed.)
\set VERBOSITY terse
-- kB of a /proc/<pid>/status field
CREATE FUNCTION costs_kb(pid int, field text) RETURNS bigint LANGUAGE sql AS $$
  SELECT (regexp_match(pg_read_file('/proc/' || pid || '/status'), field || ':\s+(\d+) kB'))[1]::bigint
$$;

-- 1. Many pg_background_result calls in one query: each frees what it
--    allocated (parse arrays, column plans, an ExprContext) when it returns,
--    so the backend's peak address space stays put (it used to grow by about
--    0.6 MB per call until the query ended).
\c
SELECT * FROM pg_background_result(pg_background_launch('SELECT 1')) AS (x int);
SELECT costs_kb(pg_backend_pid(), 'VmPeak') AS peak_before \gset
SELECT count(*), sum(x) FROM generate_series(1, 2000) g,
  LATERAL pg_background_result(pg_background_launch(format('SELECT %s', g))) AS (x int);
SELECT costs_kb(pg_backend_pid(), 'VmPeak') - :peak_before < 100 * 1024 AS peak_flat_2000_calls;

-- 2. Waiting on a slow worker with a deadlock check every millisecond: a
--    worker that waits for no lock is not examined, and nothing a check
--    allocates stays (it used to keep the lock manager's data of every
--    check until the query ended).
\c
SET deadlock_timeout = '1ms';
SELECT * FROM pg_background_result(pg_background_launch('SELECT 1')) AS (x int);
SELECT costs_kb(pg_backend_pid(), 'VmHWM') AS hwm_before \gset
SELECT * FROM pg_background_result(pg_background_launch('SELECT pg_sleep(2)')) AS (x text);
SELECT costs_kb(pg_backend_pid(), 'VmHWM') - :hwm_before < 4 * 1024 AS memory_flat_2000_checks;
RESET deadlock_timeout;

-- 3. A string of 20000 statements: each statement's parse analysis and plan
--    go with it, as in exec_simple_query; the worker's peak stays near that
--    of a one-statement job (only the string's raw parse trees are kept).
SET pg_background.worker_idle_timeout = '30s';
SELECT pg_background_launch('SELECT 1') AS w1 \gset
SELECT * FROM pg_background_result(:w1) AS (x int);
SELECT costs_kb(:w1, 'VmHWM') AS hwm_before \gset
SELECT pg_background_launch(repeat('SELECT g FROM generate_series(1, 3) g; ', 20000)) AS w2 \gset
SELECT count(*) FROM pg_background_result(:w2) AS (g int);
SELECT :w1 = :w2 AS same_worker, costs_kb(:w2, 'VmHWM') - :hwm_before < 64 * 1024 AS worker_peak_flat;
RESET pg_background.worker_idle_timeout;
DROP FUNCTION costs_kb(int, text);
