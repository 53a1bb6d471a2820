-- The catalog of the original pg_background at 1.5: 1.4 (original-1.4.sql)
-- updated by vibhorkum's pg_background--1.4--1.5.sql (1.5 was never a
-- default version; its pg_background--1.5.sql, deleted in 4573ac6, makes
-- the same objects).  Built without its scripts; see original-1.4.sql.
--
-- 1.5 adds, in schema public whatever the extension's schema, the types
-- pg_background_handle and pg_background_status; and pg_background_wait_v2
-- (three arguments, returns bool), pg_background_status_v2,
-- pg_background_cancel (v1), pg_background_cancel_v2 (three arguments),
-- launch_v2, result_v2, detach_v2, all STRICT.  The helpers (still
-- user_name) get a pinned search_path.  Revoked from PUBLIC: the helpers,
-- launch_v2, result_v2, detach_v2, cancel_v2 and the handle type; the
-- status type, wait_v2, status_v2 and cancel stay PUBLIC's.  No role.

\ir original-1.4.sql

CREATE TYPE public.pg_background_handle AS (pid pg_catalog.int4, cookie pg_catalog.int8);
ALTER EXTENSION pg_background ADD TYPE public.pg_background_handle;
CREATE TYPE public.pg_background_status AS (pid pg_catalog.int4, state pg_catalog.text,
    started_at pg_catalog.timestamptz, last_msg_at pg_catalog.timestamptz);
ALTER EXTENSION pg_background ADD TYPE public.pg_background_status;

SELECT pg_temp.original_c_function(
    'pg_background_wait_v2(pid pg_catalog.int4, cookie pg_catalog.int8, timeout_ms pg_catalog.int4 DEFAULT NULL)',
    'pg_catalog.bool', 'STRICT', 'pg_background_wait_v2');
SELECT pg_temp.original_c_function(
    'pg_background_status_v2(pid pg_catalog.int4, cookie pg_catalog.int8)',
    'public.pg_background_status', 'STRICT', 'pg_background_status_v2');
SELECT pg_temp.original_c_function(
    'pg_background_cancel(pid pg_catalog.int4, grace_ms pg_catalog.int4 DEFAULT 1000)',
    'pg_catalog.void', 'STRICT', 'pg_background_cancel');
SELECT pg_temp.original_c_function(
    'pg_background_cancel_v2(pid pg_catalog.int4, cookie pg_catalog.int8, grace_ms pg_catalog.int4 DEFAULT 1000)',
    'pg_catalog.void', 'STRICT', 'pg_background_cancel_v2');
SELECT pg_temp.original_c_function(
    'pg_background_launch_v2(sql pg_catalog.text, queue_size pg_catalog.int4 DEFAULT 65536)',
    'public.pg_background_handle', 'STRICT', 'pg_background_launch_v2');
SELECT pg_temp.original_c_function(
    'pg_background_result_v2(pid pg_catalog.int4, cookie pg_catalog.int8)',
    'SETOF pg_catalog.record', 'STRICT', 'pg_background_result_v2');
SELECT pg_temp.original_c_function(
    'pg_background_detach_v2(pid pg_catalog.int4, cookie pg_catalog.int8)',
    'pg_catalog.void', 'STRICT', 'pg_background_detach_v2');

-- The helpers of 1.5: user_name still, search_path pinned to pg_catalog
-- (so their unqualified v1 names resolve nowhere: as in the original).
CREATE OR REPLACE FUNCTION grant_pg_background_privileges(user_name text, print_commands boolean DEFAULT false)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $body$
DECLARE
    obj text;
BEGIN
    FOREACH obj IN ARRAY ARRAY['FUNCTION pg_background_launch(pg_catalog.text, pg_catalog.int4)',
                               'FUNCTION pg_background_result(pg_catalog.int4)',
                               'FUNCTION pg_background_detach(pg_catalog.int4)',
                               'TYPE public.pg_background_handle',
                               'FUNCTION pg_background_launch_v2(pg_catalog.text, pg_catalog.int4)',
                               'FUNCTION pg_background_result_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION pg_background_detach_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION pg_background_cancel_v2(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)'] LOOP
        EXECUTE format('GRANT %s ON %s TO %I',
                       CASE WHEN obj LIKE 'TYPE%' THEN 'USAGE' ELSE 'EXECUTE' END, obj, user_name);
    END LOOP;
    IF print_commands THEN
        RAISE INFO 'granted pg_background to %', user_name;
    END IF;
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'grant to %: %', user_name, SQLERRM;
    RETURN false;
END
$body$;

CREATE OR REPLACE FUNCTION revoke_pg_background_privileges(user_name text, print_commands boolean DEFAULT false)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $body$
DECLARE
    obj text;
BEGIN
    FOREACH obj IN ARRAY ARRAY['FUNCTION pg_background_cancel_v2(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)',
                               'FUNCTION pg_background_detach_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION pg_background_result_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION pg_background_launch_v2(pg_catalog.text, pg_catalog.int4)',
                               'TYPE public.pg_background_handle',
                               'FUNCTION pg_background_detach(pg_catalog.int4)',
                               'FUNCTION pg_background_result(pg_catalog.int4)',
                               'FUNCTION pg_background_launch(pg_catalog.text, pg_catalog.int4)'] LOOP
        EXECUTE format('REVOKE %s ON %s FROM %I',
                       CASE WHEN obj LIKE 'TYPE%' THEN 'USAGE' ELSE 'EXECUTE' END, obj, user_name);
    END LOOP;
    IF print_commands THEN
        RAISE INFO 'revoked pg_background from %', user_name;
    END IF;
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'revoke from %: %', user_name, SQLERRM;
    RETURN false;
END
$body$;

REVOKE ALL ON FUNCTION revoke_pg_background_privileges(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION grant_pg_background_privileges(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_launch_v2(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_result_v2(integer, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_detach_v2(integer, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_cancel_v2(integer, bigint, integer) FROM PUBLIC;
REVOKE ALL ON TYPE public.pg_background_handle FROM PUBLIC;

UPDATE pg_catalog.pg_extension SET extversion = '1.5' WHERE extname = 'pg_background';
