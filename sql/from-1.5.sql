-- pg_background 1.5 (the original extension's 1.4--1.5) -> 1.8: what 1.5
-- has that 1.8 has not, before sql/v2-1.8.sql (which handles what every
-- earlier version shares).  Never pg_background_handle: a user's table
-- may hold handles.

-- The 1.5 API that 1.8 has not: status, the v1 cancel, and the cancel and
-- wait with a third argument (1.8's cancel_v2 and wait_v2 take two and
-- wait_v2 returns void; the third argument is cancel_v2_grace's and
-- wait_v2_timeout's).  A user's object that uses one of them stops the
-- update: that is an error to see, not to CASCADE away.
DROP FUNCTION IF EXISTS pg_background_status_v2(pg_catalog.int4, pg_catalog.int8);
DROP FUNCTION IF EXISTS pg_background_cancel(pg_catalog.int4, pg_catalog.int4);
DROP FUNCTION IF EXISTS pg_background_cancel_v2(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4);
DROP FUNCTION IF EXISTS pg_background_wait_v2(pg_catalog.int4, pg_catalog.int8, pg_catalog.int4);

-- 1.5 created its types in schema public whatever the extension's schema
-- (CREATE TYPE public....).  Installed in public, nothing to do; installed
-- elsewhere, the types move to the extension's schema, where 1.8 has them
-- (and where sql/v2-1.8.sql looks for them; ALTER EXTENSION SET SCHEMA
-- refuses members outside it).  A moved type keeps its OID: columns of
-- that type stay as they are.  pg_background_status goes (with status_v2).
DO $types$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT ty.oid::pg_catalog.regtype AS name, ty.typname
          FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
          JOIN pg_catalog.pg_type ty ON ty.oid = d.objid
         WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
           AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
           AND d.deptype = 'e'
           AND e.extname = 'pg_background'
           AND (ty.typname = 'pg_background_status' OR ty.typnamespace <> e.extnamespace)
         ORDER BY ty.typname
    LOOP
        IF t.typname = 'pg_background_status' THEN
            EXECUTE pg_catalog.format('DROP TYPE %s', t.name);
        ELSE
            EXECUTE pg_catalog.format('ALTER TYPE %s SET SCHEMA %I', t.name, pg_catalog.current_schema());
        END IF;
    END LOOP;
END
$types$;
