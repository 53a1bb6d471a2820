-- The catalog of a fresh install of the original pg_background 1.8
-- (vibhorkum's pg_background--1.8.sql, 5b34095, 0325361 and the
-- relocatability fixes 1daf64d, 6e78701), built without its scripts: the
-- 1.7 fixture, then what 1.8 adds, and the defaults 1.8 changed.  Run like
-- original-1.7.sql.  ALTER EXTENSION pg_background UPDATE does nothing
-- here: the member set must be ours already.
--
-- 1.8 over 1.7: queue_size DEFAULT 0 for pg_background_launch, launch_v2
-- and submit_v2 (a 1.8 reached through the original's 1.7--1.8 keeps
-- 65536); the types pg_background_stats and pg_background_progress;
-- pg_background_stats_v2(), pg_background_progress(pct, msg DEFAULT NULL)
-- and pg_background_get_progress_v2(pid, cookie), not STRICT; the helpers
-- grant and revoke those too; all revoked from PUBLIC and granted to
-- pgbackground_role.

\ir original-1.7.sql

SELECT pg_temp.original_c_function(
    'pg_background_launch(sql pg_catalog.text, queue_size pg_catalog.int4 DEFAULT 0)',
    'pg_catalog.int4', 'STRICT', 'pg_background_launch');
SELECT pg_temp.original_c_function(
    'pg_background_launch_v2(sql pg_catalog.text, queue_size pg_catalog.int4 DEFAULT 0)',
    'pg_background_handle', 'STRICT', 'pg_background_launch_v2');
SELECT pg_temp.original_c_function(
    'pg_background_submit_v2(sql pg_catalog.text, queue_size pg_catalog.int4 DEFAULT 0)',
    'pg_background_handle', 'STRICT', 'pg_background_submit_v2');

CREATE TYPE pg_background_stats AS (
    workers_launched pg_catalog.int8, workers_completed pg_catalog.int8,
    workers_failed pg_catalog.int8, workers_canceled pg_catalog.int8,
    workers_active pg_catalog.int4, avg_execution_ms pg_catalog.float8,
    max_workers pg_catalog.int4);
ALTER EXTENSION pg_background ADD TYPE pg_background_stats;
CREATE TYPE pg_background_progress AS (progress_pct pg_catalog.int4, progress_msg pg_catalog.text);
ALTER EXTENSION pg_background ADD TYPE pg_background_progress;

SELECT pg_temp.original_c_function('pg_background_stats_v2()',
    'pg_background_stats', '', 'pg_background_stats_v2');
SELECT pg_temp.original_c_function(
    'pg_background_progress(pct pg_catalog.int4, msg pg_catalog.text DEFAULT NULL)',
    'pg_catalog.void', '', 'pg_background_progress');
SELECT pg_temp.original_c_function(
    'pg_background_get_progress_v2(pid pg_catalog.int4, cookie pg_catalog.int8)',
    'pg_background_progress', '', 'pg_background_get_progress_v2');

CREATE OR REPLACE FUNCTION grant_pg_background_privileges(role_name text, print_commands boolean DEFAULT false)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $body$
DECLARE
    nsp text;
    obj text;
    cmd text;
BEGIN
    SELECT n.nspname INTO nsp FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_background';
    IF nsp IS NULL THEN
        RAISE EXCEPTION 'pg_background is not installed';
    END IF;
    FOREACH obj IN ARRAY ARRAY['FUNCTION %I.pg_background_launch(pg_catalog.text, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_result(pg_catalog.int4)',
                               'FUNCTION %I.pg_background_detach(pg_catalog.int4)',
                               'TYPE %I.pg_background_handle',
                               'TYPE %I.pg_background_stats',
                               'TYPE %I.pg_background_progress',
                               'FUNCTION %I.pg_background_launch_v2(pg_catalog.text, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_submit_v2(pg_catalog.text, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_result_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_detach_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_cancel_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_cancel_v2_grace(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_wait_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_wait_v2_timeout(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_list_v2()',
                               'FUNCTION %I.pg_background_stats_v2()',
                               'FUNCTION %I.pg_background_progress(pg_catalog.int4, pg_catalog.text)',
                               'FUNCTION %I.pg_background_get_progress_v2(pg_catalog.int4, pg_catalog.int8)'] LOOP
        cmd := format('GRANT %s ON %s TO %I',
                      CASE WHEN obj LIKE 'TYPE%' THEN 'USAGE' ELSE 'EXECUTE' END,
                      format(obj, nsp), role_name);
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

CREATE OR REPLACE FUNCTION revoke_pg_background_privileges(role_name text, print_commands boolean DEFAULT false)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $body$
DECLARE
    nsp text;
    obj text;
    cmd text;
BEGIN
    SELECT n.nspname INTO nsp FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_background';
    IF nsp IS NULL THEN
        RAISE EXCEPTION 'pg_background is not installed';
    END IF;
    FOREACH obj IN ARRAY ARRAY['FUNCTION %I.pg_background_get_progress_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_progress(pg_catalog.int4, pg_catalog.text)',
                               'FUNCTION %I.pg_background_stats_v2()',
                               'FUNCTION %I.pg_background_list_v2()',
                               'FUNCTION %I.pg_background_wait_v2_timeout(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_wait_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_cancel_v2_grace(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_cancel_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_detach_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_result_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_submit_v2(pg_catalog.text, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_launch_v2(pg_catalog.text, pg_catalog.int4)',
                               'TYPE %I.pg_background_progress',
                               'TYPE %I.pg_background_stats',
                               'TYPE %I.pg_background_handle',
                               'FUNCTION %I.pg_background_detach(pg_catalog.int4)',
                               'FUNCTION %I.pg_background_result(pg_catalog.int4)',
                               'FUNCTION %I.pg_background_launch(pg_catalog.text, pg_catalog.int4)'] LOOP
        cmd := format('REVOKE %s ON %s FROM %I',
                      CASE WHEN obj LIKE 'TYPE%' THEN 'USAGE' ELSE 'EXECUTE' END,
                      format(obj, nsp), role_name);
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

SELECT grant_pg_background_privileges('pgbackground_role', false);

REVOKE ALL ON TYPE pg_background_stats FROM PUBLIC;
REVOKE ALL ON TYPE pg_background_progress FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_stats_v2() FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_progress(integer, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_get_progress_v2(integer, bigint) FROM PUBLIC;

UPDATE pg_catalog.pg_extension SET extversion = '1.8' WHERE extname = 'pg_background';
