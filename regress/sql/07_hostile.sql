-- Hostile and extreme input: every case gives a result or a clear error.
\set VERBOSITY terse
-- a 100 MB SQL string
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT 1 AS x -- ' || repeat('x', 100000000))) AS (x int);
-- SQL that ends mid-statement
SELECT * FROM pg_background_result(pg_background_launch('SELECT ''abc')) AS (x text);
SELECT * FROM pg_background_result(pg_background_launch('INSERT INTO')) AS (x text);
-- the postmaster's pid is not a worker of this session
SELECT pgbg_try(format('SELECT pg_background_detach(%s)',
    split_part(pg_read_file('postmaster.pid'), E'\n', 1)));
-- a value near 1 GB through a 64 kB queue
SELECT length(x), substr(x, 1073740990) FROM pg_background_result(pg_background_launch(
    'SELECT repeat(''x'', 1073741000 - 10) || ''0123456789''', 65536)) AS (x text);
-- a value over the limit fails in the worker, cleanly
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT repeat(''x'', 1073741824)')) AS (x text);
-- 1600 columns of NULL and a column definition list of 1600 columns
SELECT format('SELECT %s', string_agg('NULL::int', ', ')) AS sql,
       format('(%s)', string_agg(format('c%s int', g), ', ')) AS cols
  FROM generate_series(1, 1600) g \gset
SELECT count(*), count(c1600) FROM pg_background_result(pg_background_launch(:'sql')) AS :cols;
