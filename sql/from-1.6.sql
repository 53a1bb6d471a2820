-- pg_background 1.6 (the original extension's) -> 1.8.  A fresh 1.6 has
-- no object that 1.8 has not; what sql/v2-1.8.sql cannot turn into 1.8 by
-- CREATE OR REPLACE goes first.  Never pg_background_handle: a user's table
-- may hold handles.
-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pg_background UPDATE" to load this file. \quit

-- A 1.4 reached from the short-lived 1.1 still had this, and so does what
-- was updated from it; 1.8 has not.
DROP FUNCTION IF EXISTS pg_background_discard_result(pg_catalog.int4);

-- pg_background_handle: 1.6 creates it as public.pg_background_handle,
-- but its script works only with the extension in public (it calls
-- public.grant_pg_background_privileges), and ALTER EXTENSION SET SCHEMA
-- moves the type with the rest: it is in the extension's schema, where
-- sql/v2-1.8.sql finds it and leaves it be.

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

-- A 1.6 reached from 1.4 (through the original's 1.4--1.6) kept the
-- helpers of 1.4, whose first parameter is user_name; 1.8 names it
-- role_name, and CREATE OR REPLACE cannot rename a parameter.  A fresh 1.6
-- has role_name already: its helpers stay, and keep their grants.
DO $helpers$
DECLARE
    f pg_catalog.regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid
          FROM pg_catalog.pg_proc p
         WHERE p.oid IN (pg_catalog.to_regprocedure('grant_pg_background_privileges(pg_catalog.text, pg_catalog.bool)'),
                         pg_catalog.to_regprocedure('revoke_pg_background_privileges(pg_catalog.text, pg_catalog.bool)'))
           AND p.proargnames[1] IS DISTINCT FROM 'role_name'
    LOOP
        EXECUTE pg_catalog.format('DROP FUNCTION %s', f);
    END LOOP;
END
$helpers$;
