-- pg_background 1.4 (the original extension's) -> 1.8.  What 1.4 has that
-- sql/v2-1.8.sql cannot turn into 1.8 by CREATE OR REPLACE goes first.
-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pg_background UPDATE" to load this file. \quit

-- A 1.4 reached from the short-lived 1.1 still has this (no script of the
-- original ever dropped it); 1.8 has not.
DROP FUNCTION IF EXISTS pg_background_discard_result(pg_catalog.int4);

-- The v1 functions as a fresh install has them: not STRICT, and the
-- module named as in our control file (the original's say
-- '$libdir/pg_background', which dynamic_library_path cannot relocate).
-- pg_background_launch is replaced by sql/v2-1.8.sql.
CREATE OR REPLACE FUNCTION pg_background_result(pid pg_catalog.int4)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION pg_background_detach(pid pg_catalog.int4)
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- The privilege helpers of 1.4 name their first parameter user_name, 1.8's
-- role_name: CREATE OR REPLACE cannot rename a parameter, so they go (and
-- come back with PUBLIC's EXECUTE revoked, as before).
DROP FUNCTION IF EXISTS grant_pg_background_privileges(pg_catalog.text, pg_catalog.bool);
DROP FUNCTION IF EXISTS revoke_pg_background_privileges(pg_catalog.text, pg_catalog.bool);
