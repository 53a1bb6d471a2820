-- The demo (scripts/demo.sh, and the Debian package's installed test):
-- VACUUM VERBOSE in a background worker, then an autonomous INSERT that
-- survives the caller's ROLLBACK.
CREATE EXTENSION pg_background;
CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 1000) g;
DELETE FROM t WHERE id % 2 = 0;
\echo '--- VACUUM VERBOSE, run in a background worker:'
SELECT * FROM pg_background_result(pg_background_launch('vacuum verbose t')) AS (result text);
\echo '--- an autonomous transaction survives the caller''s ROLLBACK:'
BEGIN;
SELECT * FROM pg_background_result(pg_background_launch(
    'INSERT INTO t VALUES (2, ''audit'') RETURNING id, v')) AS (id int, v text);
ROLLBACK;
SELECT * FROM t WHERE id = 2;
