-- The catalog of the original pg_background at 1.7 (vibhorkum's
-- pg_background--1.7.sql, 17c5c15 and its relocatability fixes 1daf64d and
-- 6e78701; 1.6--1.7 changes no SQL object), built without its scripts: the
-- 1.6 fixture, whose objects 1.7 has all, then 1.7's helpers, which look up
-- the extension's schema at call time.  Run like original-1.6.sql, in
-- schema public (the handle type of 1.6 is public.pg_background_handle,
-- 1.7 makes it in the extension's schema).

\ir original-1.6.sql

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
                               'FUNCTION %I.pg_background_launch_v2(pg_catalog.text, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_submit_v2(pg_catalog.text, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_result_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_detach_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_cancel_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_cancel_v2_grace(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_wait_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_wait_v2_timeout(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_list_v2()'] LOOP
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
    FOREACH obj IN ARRAY ARRAY['FUNCTION %I.pg_background_list_v2()',
                               'FUNCTION %I.pg_background_wait_v2_timeout(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_wait_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_cancel_v2_grace(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_cancel_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_detach_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_result_v2(pg_catalog.int4, pg_catalog.int8)',
                               'FUNCTION %I.pg_background_submit_v2(pg_catalog.text, pg_catalog.int4)',
                               'FUNCTION %I.pg_background_launch_v2(pg_catalog.text, pg_catalog.int4)',
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

UPDATE pg_catalog.pg_extension SET extversion = '1.7' WHERE extname = 'pg_background';
