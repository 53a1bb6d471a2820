-- The catalog of the original pg_background at 1.6 (vibhorkum's
-- pg_background--1.6.sql as of its 1.6 release, ed3f910), built without its
-- scripts: our 1.0, then that version's other objects made members with
-- ALTER EXTENSION ADD, and extversion set to 1.6.
--
-- Run by a superuser with psql -f (later fixtures include this one with
-- \ir) in a database without pg_background; the extension goes to the
-- first schema of the search_path.  (The original's own 1.6 script works
-- in schema public only: it calls public.grant_pg_background_privileges.)
--
-- 1.6: the v1 API (STRICT, queue_size DEFAULT 65536); the type
-- public.pg_background_handle; launch_v2 and submit_v2 (DEFAULT 65536),
-- result_v2, detach_v2, cancel_v2 and wait_v2 (two arguments),
-- cancel_v2_grace, wait_v2_timeout, all STRICT, and list_v2; the NOLOGIN
-- role pgbackground_role, granted the API by the helpers (first parameter
-- role_name, SECURITY DEFINER, search_path pg_catalog);
-- pg_background_drop_executor_role(); everything revoked from PUBLIC.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION pg_background VERSION '1.0';

-- pg_temp.original_c_function(head, result, options, symbol): CREATE OR
-- REPLACE FUNCTION head RETURNS result as the original's C function
-- (module '$libdir/pg_background', its module_pathname), or, where our
-- library does not export symbol, as a PL/pgSQL stub with the same
-- signature that raises; a function that is not a member yet becomes one.
CREATE FUNCTION pg_temp.original_c_function(head text, result text, options text, symbol text)
RETURNS void LANGUAGE plpgsql AS $helper$
DECLARE
    f regprocedure;
BEGIN
    BEGIN
        EXECUTE format('CREATE OR REPLACE FUNCTION %s RETURNS %s AS %L, %L LANGUAGE C %s',
                       head, result, '$libdir/pg_background', symbol, options);
    EXCEPTION WHEN undefined_function THEN
        EXECUTE format('CREATE OR REPLACE FUNCTION %s RETURNS %s LANGUAGE plpgsql %s AS %L',
                       head, result, options,
                       format('BEGIN RAISE EXCEPTION %L; END',
                              symbol || ': not in this library (upgrade fixture stub)'));
    END;
    FOR f IN
        SELECT p.oid FROM pg_proc p
         WHERE p.proname = split_part(head, '(', 1)
           AND p.pronamespace = current_schema()::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                              AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER EXTENSION pg_background ADD FUNCTION %s', f);
    END LOOP;
END
$helper$;

-- v1 as the original defines it
SELECT pg_temp.original_c_function(
    'pg_background_launch(sql pg_catalog.text, queue_size pg_catalog.int4 DEFAULT 65536)',
    'pg_catalog.int4', 'STRICT', 'pg_background_launch');
SELECT pg_temp.original_c_function('pg_background_result(pid pg_catalog.int4)',
    'SETOF pg_catalog.record', 'STRICT', 'pg_background_result');
SELECT pg_temp.original_c_function('pg_background_detach(pid pg_catalog.int4)',
    'pg_catalog.void', 'STRICT', 'pg_background_detach');

CREATE TYPE public.pg_background_handle AS (pid pg_catalog.int4, cookie pg_catalog.int8);
ALTER EXTENSION pg_background ADD TYPE public.pg_background_handle;

SELECT pg_temp.original_c_function(
    'pg_background_launch_v2(sql pg_catalog.text, queue_size pg_catalog.int4 DEFAULT 65536)',
    'public.pg_background_handle', 'STRICT', 'pg_background_launch_v2');
SELECT pg_temp.original_c_function(
    'pg_background_submit_v2(sql pg_catalog.text, queue_size pg_catalog.int4 DEFAULT 65536)',
    'public.pg_background_handle', 'STRICT', 'pg_background_submit_v2');
SELECT pg_temp.original_c_function(
    'pg_background_result_v2(pid pg_catalog.int4, cookie pg_catalog.int8)',
    'SETOF pg_catalog.record', 'STRICT', 'pg_background_result_v2');
SELECT pg_temp.original_c_function(
    'pg_background_detach_v2(pid pg_catalog.int4, cookie pg_catalog.int8)',
    'pg_catalog.void', 'STRICT', 'pg_background_detach_v2');
SELECT pg_temp.original_c_function(
    'pg_background_cancel_v2(pid pg_catalog.int4, cookie pg_catalog.int8)',
    'pg_catalog.void', 'STRICT', 'pg_background_cancel_v2');
SELECT pg_temp.original_c_function(
    'pg_background_cancel_v2_grace(pid pg_catalog.int4, cookie pg_catalog.int8, grace_ms pg_catalog.int4)',
    'pg_catalog.void', 'STRICT', 'pg_background_cancel_v2_grace');
SELECT pg_temp.original_c_function(
    'pg_background_wait_v2(pid pg_catalog.int4, cookie pg_catalog.int8)',
    'pg_catalog.void', 'STRICT', 'pg_background_wait_v2');
SELECT pg_temp.original_c_function(
    'pg_background_wait_v2_timeout(pid pg_catalog.int4, cookie pg_catalog.int8, timeout_ms pg_catalog.int4)',
    'pg_catalog.bool', 'STRICT', 'pg_background_wait_v2_timeout');
SELECT pg_temp.original_c_function('pg_background_list_v2()',
    'SETOF pg_catalog.record', '', 'pg_background_list_v2');

DO $role$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgbackground_role') THEN
        CREATE ROLE pgbackground_role NOLOGIN INHERIT;
    END IF;
END
$role$;

-- The helpers of 1.6: role_name, search_path pinned, the objects named in
-- schema public.
CREATE FUNCTION grant_pg_background_privileges(role_name text, print_commands boolean DEFAULT false)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $body$
DECLARE
    obj text;
    cmd text;
BEGIN
    FOREACH obj IN ARRAY ARRAY['FUNCTION public.pg_background_launch(pg_catalog.text, pg_catalog.int4)',
                               'FUNCTION public.pg_background_result(pg_catalog.int4)',
                               'FUNCTION public.pg_background_detach(pg_catalog.int4)',
                               'TYPE public.pg_background_handle',
                               'FUNCTION public.pg_background_launch_v2(pg_catalog.text, pg_catalog.int4)',
                               'FUNCTION public.pg_background_submit_v2(pg_catalog.text, pg_catalog.int4)',
                               'FUNCTION public.pg_background_result_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION public.pg_background_detach_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION public.pg_background_cancel_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION public.pg_background_cancel_v2_grace(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)',
                               'FUNCTION public.pg_background_wait_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION public.pg_background_wait_v2_timeout(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)',
                               'FUNCTION public.pg_background_list_v2()'] LOOP
        cmd := format('GRANT %s ON %s TO %I',
                      CASE WHEN obj LIKE 'TYPE%' THEN 'USAGE' ELSE 'EXECUTE' END, obj, role_name);
        EXECUTE cmd;
        IF print_commands THEN
            RAISE INFO '%', cmd;
        END IF;
    END LOOP;
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'grant to %: %', role_name, SQLERRM;
    RETURN false;
END
$body$;

CREATE FUNCTION revoke_pg_background_privileges(role_name text, print_commands boolean DEFAULT false)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $body$
DECLARE
    obj text;
    cmd text;
BEGIN
    FOREACH obj IN ARRAY ARRAY['FUNCTION public.pg_background_list_v2()',
                               'FUNCTION public.pg_background_wait_v2_timeout(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)',
                               'FUNCTION public.pg_background_wait_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION public.pg_background_cancel_v2_grace(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)',
                               'FUNCTION public.pg_background_cancel_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION public.pg_background_detach_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION public.pg_background_result_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION public.pg_background_submit_v2(pg_catalog.text, pg_catalog.int4)',
                               'FUNCTION public.pg_background_launch_v2(pg_catalog.text, pg_catalog.int4)',
                               'TYPE public.pg_background_handle',
                               'FUNCTION public.pg_background_detach(pg_catalog.int4)',
                               'FUNCTION public.pg_background_result(pg_catalog.int4)',
                               'FUNCTION public.pg_background_launch(pg_catalog.text, pg_catalog.int4)'] LOOP
        cmd := format('REVOKE %s ON %s FROM %I',
                      CASE WHEN obj LIKE 'TYPE%' THEN 'USAGE' ELSE 'EXECUTE' END, obj, role_name);
        EXECUTE cmd;
        IF print_commands THEN
            RAISE INFO '%', cmd;
        END IF;
    END LOOP;
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'revoke from %: %', role_name, SQLERRM;
    RETURN false;
END
$body$;

ALTER EXTENSION pg_background ADD FUNCTION grant_pg_background_privileges(text, boolean);
ALTER EXTENSION pg_background ADD FUNCTION revoke_pg_background_privileges(text, boolean);

SELECT grant_pg_background_privileges('pgbackground_role', false);

REVOKE ALL ON FUNCTION grant_pg_background_privileges(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION revoke_pg_background_privileges(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_launch(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_result(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_detach(integer) FROM PUBLIC;
REVOKE ALL ON TYPE public.pg_background_handle FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_launch_v2(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_submit_v2(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_result_v2(integer, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_detach_v2(integer, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_cancel_v2(integer, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_cancel_v2_grace(integer, bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_wait_v2(integer, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_wait_v2_timeout(integer, bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_list_v2() FROM PUBLIC;

CREATE FUNCTION pg_background_drop_executor_role()
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $body$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgbackground_role') THEN
        EXECUTE 'DROP ROLE pgbackground_role';
    END IF;
END
$body$;
ALTER EXTENSION pg_background ADD FUNCTION pg_background_drop_executor_role();
REVOKE ALL ON FUNCTION pg_background_drop_executor_role() FROM PUBLIC;

UPDATE pg_catalog.pg_extension SET extversion = '1.6' WHERE extname = 'pg_background';
