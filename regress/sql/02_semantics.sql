-- What users rely on: autonomy, multi-statement strings, the launcher's
-- identity and settings, and the DBA commands that need top level.
\set VERBOSITY terse
CREATE TABLE sem_t (id int, v text);

-- autonomous: the worker commits even though the caller rolls back
BEGIN;
SELECT * FROM pg_background_result(pg_background_launch(
    'INSERT INTO sem_t VALUES (1, ''audit'')')) AS (tag text);
ROLLBACK;
SELECT * FROM sem_t;

-- each statement of a string sees the writes of those before it
SELECT * FROM pg_background_result(pg_background_launch(
    'INSERT INTO sem_t VALUES (2, ''a''); UPDATE sem_t SET v = v || ''b'' WHERE id = 2;
     SELECT id, v FROM sem_t WHERE id = 2')) AS (id int, v text);
-- the result is the last statement's, as PQexec gives it
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT 1; INSERT INTO sem_t VALUES (3, ''c''); SELECT count(*)::int FROM sem_t')) AS (n int);
-- the string is one implicit transaction: a failure rolls all of it back
SELECT * FROM pg_background_result(pg_background_launch(
    'INSERT INTO sem_t VALUES (4, ''d''); SELECT 1/0')) AS (x int);
SELECT count(*) FROM sem_t WHERE id = 4;
-- unless it commits explicitly
SELECT * FROM pg_background_result(pg_background_launch(
    'BEGIN; INSERT INTO sem_t VALUES (5, ''e''); COMMIT; SELECT 1/0')) AS (x int);
SELECT count(*) FROM sem_t WHERE id = 5;

-- the worker runs as the launcher's current user, with its settings
DROP ROLE IF EXISTS pgbg_sem_user;
CREATE ROLE pgbg_sem_user;
GRANT ALL ON sem_t TO pgbg_sem_user;
GRANT EXECUTE ON FUNCTION pg_background_launch(text, int4), pg_background_result(int4)
  TO pgbg_sem_user;
SET ROLE pgbg_sem_user;
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT current_user::text, session_user = current_user')) AS (u text, same bool);
RESET ROLE;
CREATE SCHEMA sem_s;
CREATE TABLE sem_s.only_here (x text);
INSERT INTO sem_s.only_here VALUES ('found via search_path');
SET search_path = sem_s, public;
SET datestyle = 'SQL, DMY';
SET statement_timeout = '1234ms';
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT x, current_setting(''datestyle''), current_setting(''statement_timeout''),
            ''2024-02-01''::date::text FROM only_here')) AS (x text, ds text, st text, d text);
RESET search_path;
RESET datestyle;
RESET statement_timeout;

-- the launcher's statement_timeout stops a runaway worker
SET statement_timeout = '300ms';
SELECT pg_background_launch('SELECT pg_sleep(30)') AS pid \gset
RESET statement_timeout;
SELECT * FROM pg_background_result(:pid) AS (x text);

-- VACUUM, CREATE INDEX CONCURRENTLY and CREATE DATABASE need top level
SELECT * FROM pg_background_result(pg_background_launch('VACUUM (ANALYZE) sem_t')) AS (tag text);
-- (CREATE INDEX CONCURRENTLY waits for every older snapshot, including the
-- launcher's own: launch it, detach, and wait without holding a snapshot)
SELECT pg_background_detach(pg_background_launch(
    'CREATE INDEX CONCURRENTLY sem_t_id ON sem_t (id)'));
CALL pgbg_wait('EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass(''sem_t_id'') AND indisvalid)');
SELECT indisvalid FROM pg_index WHERE indexrelid = 'sem_t_id'::regclass;
SELECT * FROM pg_background_result(pg_background_launch(
    'CREATE DATABASE pgbg_sem_db')) AS (tag text);
SELECT * FROM pg_background_result(pg_background_launch(
    'DROP DATABASE pgbg_sem_db')) AS (tag text);
-- but not inside a multi-statement string, as with psql
SELECT * FROM pg_background_result(pg_background_launch('SELECT 1; VACUUM sem_t')) AS (x text);

-- launched from PL/pgSQL and detached: still runs to the end
CREATE FUNCTION sem_launch_cic() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_background_detach(pg_background_launch(
      'CREATE INDEX CONCURRENTLY sem_t_v ON sem_t (v)'));
END $$;
SELECT sem_launch_cic();
CALL pgbg_wait('EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass(''sem_t_v'') AND indisvalid)');
SELECT indisvalid FROM pg_index WHERE indexrelid = 'sem_t_v'::regclass;

-- workers show up in pg_stat_activity as pg_background
SELECT pg_background_launch('SELECT pg_sleep(1)') AS pid \gset
CALL pgbg_wait(format('EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s AND query <> '''')', :pid));
SELECT backend_type, query FROM pg_stat_activity WHERE pid = :pid;
SELECT * FROM pg_background_result(:pid) AS (x text);

DROP OWNED BY pgbg_sem_user;
DROP ROLE pgbg_sem_user;
