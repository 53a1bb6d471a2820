-- sql/v2-1.8.sql: the body of every update script to 1.8 (the Makefile
-- puts sql/guard.sql and, for a version with objects of its own that 1.8
-- has not, sql/from-VERSION.sql before it): the v2 API, object for object
-- as in the original extension's 1.8.  Idempotent, so that it completes
-- any earlier version's object set (our 1.0, the original's 1.4-1.7):
-- CREATE OR REPLACE for functions, types only where missing (a user's
-- table may already hold handles; never dropped).

-- A 1.4 of the original reached from its short-lived 1.1 still has this
-- (no script of the original ever dropped it), and so has what was
-- updated from it; 1.8 has not.
DROP FUNCTION IF EXISTS pg_background_discard_result(pg_catalog.int4);

-- v1 as a fresh install has it: not STRICT, the module named as in our
-- control file (the original's say '$libdir/pg_background', which
-- dynamic_library_path cannot relocate), and a queue_size of 0 (now the
-- default) or NULL meaning pg_background.default_queue_size.
CREATE OR REPLACE FUNCTION pg_background_launch(sql pg_catalog.text,
                                                queue_size pg_catalog.int4 DEFAULT 0)
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION pg_background_result(pid pg_catalog.int4)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION pg_background_detach(pid pg_catalog.int4)
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- A job: the pid of the worker running it and a random cookie that names
-- this job only (a pooled worker runs many jobs under one pid).
DO $types$
DECLARE
    defs text[][] := ARRAY[
      ['pg_background_handle', 'pid pg_catalog.int4, cookie pg_catalog.int8'],
      ['pg_background_stats', 'workers_launched pg_catalog.int8, workers_completed pg_catalog.int8, '
                              'workers_failed pg_catalog.int8, workers_canceled pg_catalog.int8, '
                              'workers_active pg_catalog.int4, avg_execution_ms pg_catalog.float8, '
                              'max_workers pg_catalog.int4'],
      ['pg_background_progress', 'progress_pct pg_catalog.int4, progress_msg pg_catalog.text']];
    t oid;
BEGIN
    -- the extension's schema is first on the search_path here
    FOR i IN 1 .. array_length(defs, 1) LOOP
        SELECT oid INTO t FROM pg_catalog.pg_type
         WHERE typname = defs[i][1]
           AND typnamespace = pg_catalog.current_schema()::pg_catalog.regnamespace;
        IF t IS NULL THEN
            EXECUTE pg_catalog.format('CREATE TYPE %I.%I AS (%s)',
                                      pg_catalog.current_schema(), defs[i][1], defs[i][2]);
        -- kept only if it is ours (an earlier version's): never adopt a
        -- type someone else created, whose layout and owner we do not know
        ELSIF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e
                                 ON e.oid = d.refobjid AND e.extname = 'pg_background'
                           WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                             AND d.objid = t AND d.deptype = 'e') THEN
            RAISE EXCEPTION 'type %.% already exists and is not a member of extension "pg_background"',
                            pg_catalog.current_schema(), defs[i][1]
                  USING ERRCODE = 'duplicate_object',
                        HINT = 'Drop or rename it, or install the extension into another schema.';
        END IF;
    END LOOP;
END
$types$;

-- Launch a job whose result is read with pg_background_result_v2.
CREATE OR REPLACE FUNCTION pg_background_launch_v2(sql pg_catalog.text,
                                        queue_size pg_catalog.int4 DEFAULT 0)
RETURNS pg_background_handle
AS 'MODULE_PATHNAME', 'pg_background_launch_v2' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Launch a job whose output is discarded; the session forgets it once done.
CREATE OR REPLACE FUNCTION pg_background_submit_v2(sql pg_catalog.text,
                                        queue_size pg_catalog.int4 DEFAULT 0)
RETURNS pg_background_handle
AS 'MODULE_PATHNAME', 'pg_background_submit_v2' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION pg_background_result_v2(pid pg_catalog.int4, cookie pg_catalog.int8)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'pg_background_result_v2' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION pg_background_detach_v2(pid pg_catalog.int4, cookie pg_catalog.int8)
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME', 'pg_background_detach_v2' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Stop the job before it commits; after its commit, change nothing.
CREATE OR REPLACE FUNCTION pg_background_cancel_v2(pid pg_catalog.int4, cookie pg_catalog.int8)
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME', 'pg_background_cancel_v2' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Give the job up to grace_ms to finish, then cancel it.
CREATE OR REPLACE FUNCTION pg_background_cancel_v2_grace(pid pg_catalog.int4, cookie pg_catalog.int8,
                                              grace_ms pg_catalog.int4)
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME', 'pg_background_cancel_v2_grace' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Wait until the job has finished (its output is kept for the result).
CREATE OR REPLACE FUNCTION pg_background_wait_v2(pid pg_catalog.int4, cookie pg_catalog.int8)
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME', 'pg_background_wait_v2' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION pg_background_wait_v2_timeout(pid pg_catalog.int4, cookie pg_catalog.int8,
                                              timeout_ms pg_catalog.int4)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pg_background_wait_v2_timeout' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- The session's jobs: call with the column definition list
-- (pid int4, cookie int8, launched_at timestamptz, user_id oid,
--  queue_size int4, state text, sql_preview text, last_error text, consumed bool)
CREATE OR REPLACE FUNCTION pg_background_list_v2()
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'pg_background_list_v2' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION pg_background_stats_v2()
RETURNS pg_background_stats
AS 'MODULE_PATHNAME', 'pg_background_stats_v2' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Called by a job's SQL; the launcher reads it with get_progress_v2.
CREATE OR REPLACE FUNCTION pg_background_progress(pct pg_catalog.int4, msg pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME', 'pg_background_progress' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION pg_background_get_progress_v2(pid pg_catalog.int4, cookie pg_catalog.int8)
RETURNS pg_background_progress
AS 'MODULE_PATHNAME', 'pg_background_get_progress_v2' LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pg_background_stats_v2() IS
'This session''s background jobs: launched, completed, failed, canceled, running, mean run time.';
COMMENT ON FUNCTION pg_background_progress(pg_catalog.int4, pg_catalog.text) IS
'Report progress (0-100 and a short message) from the SQL of a background job.';
COMMENT ON FUNCTION pg_background_get_progress_v2(pg_catalog.int4, pg_catalog.int8) IS
'The progress a background job last reported, or NULL if none yet.';

-- The executor role (roles are global: created once, never dropped by
-- DROP EXTENSION; see pg_background_drop_executor_role).
DO $role$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pgbackground_role') THEN
        CREATE ROLE pgbackground_role NOLOGIN INHERIT;
    END IF;
END
$role$;

-- The privilege helpers of the original's 1.4 and 1.5 (and of a 1.6 or
-- 1.7 updated from them) name their first parameter user_name, 1.8's
-- role_name, and CREATE OR REPLACE cannot rename a parameter: those go,
-- and come back below (with PUBLIC's EXECUTE revoked, as before).  Helpers
-- with role_name already stay, and keep their grants.
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

-- Grant (revoke) the whole API to (from) a role: EXECUTE on every member
-- function and USAGE on every member type of the extension, but for these
-- helpers and pg_background_drop_executor_role (the administrators'), so
-- that the API is listed once, by the catalog.  SECURITY DEFINER with a
-- pinned search_path (as the original's; pg_temp is still searched first
-- for relations, so every catalog table is qualified); regprocedure and
-- regtype name each object in the extension's schema at call time, so
-- they work after ALTER EXTENSION ... SET SCHEMA.  A failure is reported
-- as a NOTICE and false, as in the original extension.
CREATE OR REPLACE FUNCTION grant_pg_background_privileges(role_name pg_catalog.text,
                                 print_commands pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog
AS $function$
DECLARE
    obj record;
    cmd text;
BEGIN
    IF role_name IS NULL OR to_regrole(quote_ident(role_name)) IS NULL THEN
        RAISE NOTICE 'role "%" does not exist', role_name;
        RETURN false;
    END IF;
    FOR obj IN
        SELECT CASE WHEN d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                    THEN 'TYPE ' || d.objid::pg_catalog.regtype::pg_catalog.text
                    ELSE 'FUNCTION ' || d.objid::pg_catalog.regprocedure::pg_catalog.text END AS target
          FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
          LEFT JOIN pg_catalog.pg_proc p
                 ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = d.objid
          LEFT JOIN pg_catalog.pg_type t
                 ON d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND t.oid = d.objid
         WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e'
           AND e.extname = 'pg_background'
           AND d.classid IN ('pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_type'::pg_catalog.regclass)
           -- a type's array type (a member too from PostgreSQL 17) follows it
           AND t.typcategory IS DISTINCT FROM 'A'
           AND p.proname IS DISTINCT FROM 'grant_pg_background_privileges'
           AND p.proname IS DISTINCT FROM 'revoke_pg_background_privileges'
           AND p.proname IS DISTINCT FROM 'pg_background_drop_executor_role'
         ORDER BY 1
    LOOP
        cmd := format('GRANT %s ON %s TO %I',
                      CASE WHEN obj.target LIKE 'TYPE %' THEN 'USAGE' ELSE 'EXECUTE' END,
                      obj.target, role_name);
        EXECUTE cmd;
        IF print_commands THEN
            RAISE INFO '%', cmd;
        END IF;
    END LOOP;
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'could not grant pg_background privileges to %: %', role_name, SQLERRM;
    RETURN false;
END
$function$;

CREATE OR REPLACE FUNCTION revoke_pg_background_privileges(role_name pg_catalog.text,
                                 print_commands pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog
AS $function$
DECLARE
    obj record;
    cmd text;
BEGIN
    IF role_name IS NULL OR to_regrole(quote_ident(role_name)) IS NULL THEN
        RAISE NOTICE 'role "%" does not exist', role_name;
        RETURN false;
    END IF;
    FOR obj IN
        SELECT CASE WHEN d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                    THEN 'TYPE ' || d.objid::pg_catalog.regtype::pg_catalog.text
                    ELSE 'FUNCTION ' || d.objid::pg_catalog.regprocedure::pg_catalog.text END AS target
          FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
          LEFT JOIN pg_catalog.pg_proc p
                 ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = d.objid
          LEFT JOIN pg_catalog.pg_type t
                 ON d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND t.oid = d.objid
         WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e'
           AND e.extname = 'pg_background'
           AND d.classid IN ('pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_type'::pg_catalog.regclass)
           -- a type's array type (a member too from PostgreSQL 17) follows it
           AND t.typcategory IS DISTINCT FROM 'A'
           AND p.proname IS DISTINCT FROM 'grant_pg_background_privileges'
           AND p.proname IS DISTINCT FROM 'revoke_pg_background_privileges'
           AND p.proname IS DISTINCT FROM 'pg_background_drop_executor_role'
         ORDER BY 1
    LOOP
        cmd := format('REVOKE %s ON %s FROM %I',
                      CASE WHEN obj.target LIKE 'TYPE %' THEN 'USAGE' ELSE 'EXECUTE' END,
                      obj.target, role_name);
        EXECUTE cmd;
        IF print_commands THEN
            RAISE INFO '%', cmd;
        END IF;
    END LOOP;
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'could not revoke pg_background privileges from %: %', role_name, SQLERRM;
    RETURN false;
END
$function$;

-- DROP EXTENSION leaves the role (roles are global): drop it with this.
CREATE OR REPLACE FUNCTION pg_background_drop_executor_role()
RETURNS pg_catalog.void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog
AS $function$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pgbackground_role') THEN
        DROP ROLE pgbackground_role;
    END IF;
END
$function$;

-- Nothing is executable by PUBLIC: the executor role gets the API, the
-- helpers stay with the superuser who created the extension.
DO $public$
DECLARE
    obj record;
BEGIN
    FOR obj IN
        SELECT CASE WHEN d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                    THEN 'TYPE ' || d.objid::pg_catalog.regtype::pg_catalog.text
                    ELSE 'FUNCTION ' || d.objid::pg_catalog.regprocedure::pg_catalog.text END AS target
          FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
          LEFT JOIN pg_catalog.pg_type t
                 ON d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND t.oid = d.objid
         WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e'
           AND e.extname = 'pg_background'
           AND d.classid IN ('pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_type'::pg_catalog.regclass)
           -- a type's array type (a member too from PostgreSQL 17) follows it
           AND t.typcategory IS DISTINCT FROM 'A'
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC', obj.target);
    END LOOP;
END
$public$;

DO $grant$
BEGIN
    IF NOT grant_pg_background_privileges('pgbackground_role', false) THEN
        RAISE EXCEPTION 'could not grant the pg_background API to pgbackground_role';
    END IF;
END
$grant$;
