-- Row values whose row type changes between the worker's send and the
-- launcher's read (ALTER TYPE ... ALTER ATTRIBUTE ... TYPE) are refused as
-- PostgreSQL's record_recv refuses them, never misread: composites, and
-- every type with a row type inside, travel in binary, with each column's
-- type checked, not in the internal format.
\set VERBOSITY terse
SET pg_background.worker_idle_timeout = '30s';
-- launch sql, wait until the worker has sent everything and idles, alter
-- the type, then read the value as decl
CREATE FUNCTION comp_altered_read(sql text, alter_sql text, decl text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE p int; done bool;
BEGIN
  p := pg_background_launch(sql);
  FOR i IN 1..3000 LOOP
    SELECT state = 'idle' INTO done FROM pg_stat_activity WHERE pid = p;
    EXIT WHEN done;
    PERFORM pg_sleep(0.01);
    PERFORM pg_stat_clear_snapshot();
  END LOOP;
  EXECUTE alter_sql;
  RETURN pgbg_try(format('SELECT * FROM pg_background_result(%s) AS (x %s)', p, decl));
END $$;

CREATE TYPE comp_t1 AS (a int, b int);
CREATE TYPE comp_t2 AS (a int, b int);
CREATE TYPE comp_t3 AS (a int, b int);
CREATE DOMAIN comp_d3 AS comp_t3 CHECK ((VALUE).a > 0);
CREATE TYPE comp_t4 AS (a int, b int);
CREATE TYPE comp_t4o AS (id int, p comp_t4);
CREATE TYPE comp_t5 AS (a int, b int);
CREATE TYPE comp_r5 AS RANGE (subtype = comp_t5);
CREATE TYPE comp_t6 AS (a int, b text);

-- unaltered, every shape arrives intact
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT ROW(1, 2)::comp_t1, ARRAY[ROW(3, 4)::comp_t2], ROW(5, 6)::comp_t3::comp_d3,
            ROW(7, ROW(8, 9)::comp_t4)::comp_t4o,
            comp_r5(ROW(1, 1)::comp_t5, ROW(2, 2)::comp_t5)'))
  AS (c comp_t1, a comp_t2[], d comp_d3, n comp_t4o, r comp_r5);

-- a composite
SELECT comp_altered_read('SELECT ROW(1, 2)::comp_t1',
    'ALTER TYPE comp_t1 ALTER ATTRIBUTE b TYPE text', 'comp_t1');
-- an array of composites
SELECT comp_altered_read('SELECT ARRAY[ROW(1, 2)::comp_t2]',
    'ALTER TYPE comp_t2 ALTER ATTRIBUTE b TYPE text', 'comp_t2[]');
-- a domain over a composite
SELECT comp_altered_read('SELECT ROW(1, 2)::comp_t3::comp_d3',
    'ALTER TYPE comp_t3 ALTER ATTRIBUTE b TYPE text', 'comp_d3');
-- a composite nested in a composite
SELECT comp_altered_read('SELECT ROW(1, ROW(2, 3)::comp_t4)::comp_t4o',
    'ALTER TYPE comp_t4 ALTER ATTRIBUTE b TYPE text', 'comp_t4o');
-- a range of composites
SELECT comp_altered_read('SELECT comp_r5(ROW(1, 2)::comp_t5, ROW(3, 4)::comp_t5)',
    'ALTER TYPE comp_t5 ALTER ATTRIBUTE b TYPE text', 'comp_r5');
-- a varlena attribute turned fixed-size, read as text
SELECT comp_altered_read($$SELECT ROW(1, 'abcdefgh')::comp_t6$$,
    'ALTER TYPE comp_t6 ALTER ATTRIBUTE b TYPE int8', 'text');
-- attributes added and dropped
CREATE TYPE comp_t7 AS (a int, b int);
SELECT comp_altered_read('SELECT ROW(1, 2)::comp_t7',
    'ALTER TYPE comp_t7 ADD ATTRIBUTE c int', 'comp_t7');
CREATE TYPE comp_t8 AS (a int, b int);
SELECT comp_altered_read('SELECT ROW(1, 2)::comp_t8',
    'ALTER TYPE comp_t8 DROP ATTRIBUTE b', 'comp_t8');

RESET pg_background.worker_idle_timeout;
DROP FUNCTION comp_altered_read(text, text, text);
DROP TYPE comp_t1, comp_t2, comp_d3, comp_t3, comp_t4o, comp_t4, comp_r5, comp_t5, comp_t6, comp_t7, comp_t8;
