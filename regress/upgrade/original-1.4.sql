-- The catalog of the original pg_background at 1.4 (vibhorkum's
-- pg_background--1.4.sql as of its 1.4 release, and its 1.0--1.4), built
-- without its scripts: our 1.0, then that version's other objects made
-- members with ALTER EXTENSION ADD, and extversion set to 1.4.
--
-- Run by a superuser with psql -f (the later fixtures include this one
-- with \ir) in a database without pg_background; the extension goes to the
-- first schema of the search_path, as CREATE EXTENSION puts it.
--
-- 1.4: the v1 API (STRICT, queue_size DEFAULT 65536) and two SECURITY
-- DEFINER privilege helpers whose first parameter is user_name; all five
-- revoked from PUBLIC.  No role, no types.

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

-- The privilege helpers of 1.4: no pinned search_path, first parameter
-- user_name.
CREATE FUNCTION grant_pg_background_privileges(user_name text, print_commands boolean DEFAULT false)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER AS $body$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY['pg_background_launch(pg_catalog.text, pg_catalog.int4)',
                              'pg_background_result(pg_catalog.int4)',
                              'pg_background_detach(pg_catalog.int4)'] LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', fn, user_name);
        IF print_commands THEN
            RAISE INFO 'GRANT EXECUTE ON FUNCTION % TO %', fn, user_name;
        END IF;
    END LOOP;
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'grant to %: %', user_name, SQLERRM;
    RETURN false;
END
$body$;

CREATE FUNCTION revoke_pg_background_privileges(user_name text, print_commands boolean DEFAULT false)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER AS $body$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY['pg_background_launch(pg_catalog.text, pg_catalog.int4)',
                              'pg_background_result(pg_catalog.int4)',
                              'pg_background_detach(pg_catalog.int4)'] LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM %I', fn, user_name);
        IF print_commands THEN
            RAISE INFO 'REVOKE EXECUTE ON FUNCTION % FROM %', fn, user_name;
        END IF;
    END LOOP;
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'revoke from %: %', user_name, SQLERRM;
    RETURN false;
END
$body$;

ALTER EXTENSION pg_background ADD FUNCTION grant_pg_background_privileges(text, boolean);
ALTER EXTENSION pg_background ADD FUNCTION revoke_pg_background_privileges(text, boolean);

-- (our 1.0 has revoked the v1 functions from PUBLIC already)
REVOKE ALL ON FUNCTION grant_pg_background_privileges(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION revoke_pg_background_privileges(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_launch(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_result(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_detach(integer) FROM PUBLIC;

UPDATE pg_catalog.pg_extension SET extversion = '1.4' WHERE extname = 'pg_background';
