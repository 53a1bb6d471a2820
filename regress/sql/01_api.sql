-- The v1 API: launch, result, detach, and their argument checks.
-- pids are never printed: they differ on every run.
\set VERBOSITY terse

-- rows come back through the column definition list
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT g, g * 10 FROM generate_series(1, 3) g')) AS (a int, b int);

-- no row-returning statement: the last command tag, as one text row
CREATE TABLE api_t (id int);
SELECT * FROM pg_background_result(pg_background_launch(
    'INSERT INTO api_t VALUES (1), (2)')) AS (tag text);
SELECT * FROM pg_background_result(pg_background_launch('vacuum api_t')) AS (tag text);

-- a query with zero rows gives zero rows, not its tag
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT 1 WHERE false')) AS (x int);

-- a result is read once; a second read names the problem
SELECT pg_background_launch('SELECT 42') AS pid \gset
SELECT * FROM pg_background_result(:pid) AS (x int);
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x int)', :pid));

-- detach: the worker runs on and commits, the session forgets it
SELECT pg_background_launch('INSERT INTO api_t VALUES (3)') AS pid \gset
SELECT pg_background_detach(:pid);
SELECT pgbg_try(format('SELECT pg_background_detach(%s)', :pid));
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x text)', :pid));

-- a pid this session did not launch: our own, the postmaster's, nonsense
SELECT pgbg_try('SELECT * FROM pg_background_result(pg_backend_pid()) AS (x text)');
SELECT pgbg_try('SELECT * FROM pg_background_result(
    (SELECT pid FROM pg_stat_activity WHERE backend_type = ''checkpointer'')) AS (x text)');
SELECT pg_background_detach(0);
SELECT pg_background_detach(-1);
\set VERBOSITY default
SELECT pg_background_detach(2147483647);
\set VERBOSITY terse

-- NULL and empty arguments
SELECT pg_background_launch(NULL);
-- (a NULL or 0 queue size is pg_background.default_queue_size)
SELECT * FROM pg_background_result(pg_background_launch('SELECT 1', NULL)) AS (x int);
SELECT * FROM pg_background_result(pg_background_launch('SELECT 2', 0)) AS (x int);
SELECT pg_background_launch('');
SELECT * FROM pg_background_result(NULL) AS (x text);
SELECT pg_background_detach(NULL);

-- queue_size bounds
SELECT pg_background_launch('SELECT 1', 10);
SELECT pg_background_launch('SELECT 1', -1);
SELECT pg_background_launch('SELECT 1', 2147483647);
-- the smallest queue works, even for messages larger than itself
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT repeat(''z'', 1000)', 64)) AS (x text) \gset
SELECT length(:'x');

-- a statement-free string and bad syntax surface when the result is read
SELECT * FROM pg_background_result(pg_background_launch('  -- only a comment')) AS (x text);
SELECT * FROM pg_background_result(pg_background_launch('SELEC 1')) AS (x text);
SELECT * FROM pg_background_result(pg_background_launch('SELECT (1')) AS (x text);

-- without a column definition list
SELECT * FROM pg_background_result(pg_background_launch('SELECT 1'));

-- COPY to or from the client has nobody to talk to
SELECT * FROM pg_background_result(pg_background_launch('COPY api_t TO STDOUT')) AS (x text);
SELECT * FROM pg_background_result(pg_background_launch('COPY api_t FROM STDIN')) AS (x text);

-- launch-and-forget: detach right after launch still runs the command
SELECT pg_background_detach(pg_background_launch('INSERT INTO api_t VALUES (4)'));
-- wait for it (bounded)
CALL pgbg_wait('EXISTS (SELECT 1 FROM api_t WHERE id = 4)');
SELECT * FROM api_t ORDER BY id;
