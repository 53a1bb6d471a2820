-- Errors and notices of the worker reach the launcher with their SQLSTATE,
-- level, message, detail, hint and context, plus one context line naming
-- the worker.  The pid in that line is masked: it differs on every run.
CREATE FUNCTION relay_show(sql text) RETURNS TABLE (field text, value text)
LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text; ctx text;
BEGIN
  PERFORM * FROM pg_background_result(pg_background_launch(sql)) AS (x text);
  field := 'no error'; RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
      det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT, ctx = PG_EXCEPTION_CONTEXT;
  field := 'sqlstate'; value := st; RETURN NEXT;
  field := 'message'; value := msg; RETURN NEXT;
  field := 'detail'; value := det; RETURN NEXT;
  field := 'hint'; value := hnt; RETURN NEXT;
  field := 'context'; value := regexp_replace(ctx, 'pid \d+', 'pid N', 'g'); RETURN NEXT;
END $$;

SELECT * FROM relay_show('SELECT 1/0');
SELECT * FROM relay_show($q$DO $d$ BEGIN
  RAISE EXCEPTION 'custom failure' USING ERRCODE = 'P0042', DETAIL = 'the detail', HINT = 'the hint';
END $d$$q$);
SELECT * FROM relay_show('SELECT * FROM no_such_table');
CREATE TABLE relay_t (id int PRIMARY KEY);
SELECT * FROM relay_show('INSERT INTO relay_t VALUES (1), (1)');

-- catchable by condition name
DO $$
BEGIN
  PERFORM * FROM pg_background_result(pg_background_launch('SELECT 1/0')) AS (x int);
EXCEPTION WHEN division_by_zero THEN
  RAISE NOTICE 'caught division_by_zero from the worker';
END $$;
DO $$
BEGIN
  PERFORM * FROM pg_background_result(pg_background_launch(
      'INSERT INTO relay_t VALUES (7), (7)')) AS (x text);
EXCEPTION WHEN unique_violation THEN
  RAISE NOTICE 'caught unique_violation from the worker';
END $$;

-- as psql shows it: the position of a syntax error points into the SQL string
\set SHOW_CONTEXT never
SELECT * FROM pg_background_result(pg_background_launch('SELECT 1, 2 3')) AS (x text);
SELECT * FROM pg_background_result(pg_background_launch(
    'INSERT INTO relay_t VALUES (2), (2)')) AS (x text);

-- notices at their own level, with detail and hint, in order with rows
SELECT * FROM pg_background_result(pg_background_launch($q$
  DO $d$ BEGIN
    RAISE NOTICE 'a notice' USING DETAIL = 'notice detail', HINT = 'notice hint';
    RAISE WARNING 'a warning';
    RAISE INFO 'an info' USING DETAIL = 'info detail';
    RAISE LOG 'a log line, not for the client';
  END $d$;
  SELECT 'rows after the notices'$q$)) AS (x text);
-- client_min_messages of the launcher applies in the worker too
SET client_min_messages = warning;
SELECT * FROM pg_background_result(pg_background_launch($q$
  DO $d$ BEGIN RAISE NOTICE 'hidden'; RAISE WARNING 'shown'; END $d$$q$)) AS (x text);
RESET client_min_messages;
