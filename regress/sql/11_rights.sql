-- Who may name a job, what user code running during a read may do to it,
-- and what a job launched in a security context may do.
\set VERBOSITY terse
CREATE ROLE rights_owner;
CREATE ROLE rights_caller;
GRANT EXECUTE ON FUNCTION pg_background_launch(text, int4), pg_background_result(int4),
  pg_background_detach(int4) TO rights_owner, rights_caller;

-- 1. Code that runs during a read (here a domain CHECK) cannot read or
--    detach the job being read: it would consume or free the queue under
--    the outer read.
CREATE TABLE rights_target (pid int);
CREATE FUNCTION rights_touch(how text) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
  IF how = 'detach' THEN
    PERFORM pg_background_detach((SELECT pid FROM rights_target));
  ELSE
    PERFORM * FROM pg_background_result((SELECT pid FROM rights_target)) AS (x int);
  END IF;
  RETURN true;
END $$;
CREATE DOMAIN rights_detaching AS int CHECK (rights_touch('detach'));
CREATE DOMAIN rights_reading AS int CHECK (rights_touch('read'));
SELECT pg_background_launch('SELECT g FROM generate_series(1, 3) g') AS p \gset
INSERT INTO rights_target VALUES (:p);
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x rights_detaching)', :p));
-- the failed read forgot the job, as any failed read does
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x int)', :p));
SELECT pg_background_launch('SELECT g FROM generate_series(1, 3) g') AS p \gset
UPDATE rights_target SET pid = :p;
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x rights_reading)', :p));
-- the refusal caught inside the CHECK: the outer read goes on, all rows
CREATE FUNCTION rights_try_detach() RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_background_detach((SELECT pid FROM rights_target));
  RETURN false;
EXCEPTION WHEN object_in_use THEN
  RETURN true;
END $$;
CREATE DOMAIN rights_trying AS int CHECK (rights_try_detach());
SELECT pg_background_launch('SELECT g FROM generate_series(1, 3) g') AS p \gset
UPDATE rights_target SET pid = :p;
SELECT * FROM pg_background_result(:p) AS (x rights_trying);
-- reading another job from inside a read works
CREATE DOMAIN rights_nested AS int CHECK (rights_touch('read'));
SELECT pg_background_launch('SELECT 1') AS inner_p \gset
UPDATE rights_target SET pid = :inner_p;
SELECT * FROM pg_background_result(pg_background_launch('SELECT 7')) AS (x rights_nested);
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x int)', :inner_p));

-- 2. Only roles with the privileges of the launcher's current user may
--    read or detach a job: one a SECURITY DEFINER function launched is its
--    owner's.
CREATE FUNCTION rights_launch_as_owner() RETURNS int SECURITY DEFINER
LANGUAGE sql AS $$ SELECT pg_background_launch('SELECT current_user::text') $$;
ALTER FUNCTION rights_launch_as_owner() OWNER TO rights_owner;
GRANT EXECUTE ON FUNCTION rights_launch_as_owner() TO rights_caller;
SET ROLE rights_caller;
SELECT rights_launch_as_owner() AS p \gset
SELECT pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (u text)', :p));
SELECT pgbg_try(format('SELECT pg_background_detach(%s)', :p));
RESET ROLE;
-- a superuser has the owner's privileges
SELECT * FROM pg_background_result(:p) AS (u text);

-- 3. A job launched by a SECURITY DEFINER function runs as the owner and
--    cannot change role: not at once, not after a commit, not from a
--    procedure that commits.  Commands that commit inside (VACUUM) work.
CREATE FUNCTION rights_run_as_owner(sql text) RETURNS text SECURITY DEFINER
LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  SELECT x INTO r FROM pg_background_result(pg_background_launch(sql)) AS (x text);
  RETURN r;
END $$;
ALTER FUNCTION rights_run_as_owner(text) OWNER TO rights_owner;
CREATE TABLE rights_t (x int);
ALTER TABLE rights_t OWNER TO rights_owner;
CREATE PROCEDURE rights_commit() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$;
SELECT rights_run_as_owner('SELECT current_user || '' / '' || session_user');
SELECT pgbg_try($$SELECT rights_run_as_owner('RESET ROLE')$$);
SELECT pgbg_try($$SELECT rights_run_as_owner('SET ROLE postgres')$$);
SELECT pgbg_try($$SELECT rights_run_as_owner('BEGIN; COMMIT; RESET ROLE')$$);
SELECT pgbg_try($$SELECT rights_run_as_owner('BEGIN; COMMIT AND CHAIN; RESET ROLE; COMMIT')$$);
SELECT pgbg_try($$SELECT rights_run_as_owner('BEGIN; ROLLBACK AND CHAIN; SET ROLE postgres; COMMIT')$$);
SELECT pgbg_try($$SELECT rights_run_as_owner('CALL rights_commit()')$$);
SELECT rights_run_as_owner('VACUUM rights_t');
SELECT rights_run_as_owner('INSERT INTO rights_t VALUES (1); SELECT current_user');

-- 4. No launch from a security-restricted operation (here the query of a
--    materialized view being refreshed, run as its owner).
-- (qualified: 17+ runs maintenance operations with search_path pg_catalog, pg_temp)
CREATE FUNCTION rights_launch_one() RETURNS int LANGUAGE sql AS $$ SELECT public.pg_background_launch('SELECT 1') $$;
CREATE MATERIALIZED VIEW rights_mv AS SELECT rights_launch_one() AS p WITH NO DATA;
SELECT pgbg_try('REFRESH MATERIALIZED VIEW rights_mv');

DROP MATERIALIZED VIEW rights_mv;
DROP DOMAIN rights_detaching, rights_reading, rights_trying, rights_nested;
DROP FUNCTION rights_launch_one(), rights_run_as_owner(text), rights_launch_as_owner(),
  rights_touch(text), rights_try_detach();
DROP PROCEDURE rights_commit();
DROP TABLE rights_target, rights_t;
REVOKE EXECUTE ON FUNCTION pg_background_launch(text, int4), pg_background_result(int4),
  pg_background_detach(int4) FROM rights_owner, rights_caller;
DROP ROLE rights_owner, rights_caller;
