-- Rows travel in batches of many DataRows per queue message
-- (c/worker_dest.c), and common types are decoded by Go straight into
-- Datums (PGBG_DEC_*).  Batch edges, rows too large for a batch, reports
-- in the middle of a stream, edge values of every fast-path type, and the
-- encoding text is decoded in.
\set VERBOSITY terse

-- Edge values of every fast-path type equal the values read directly.
CREATE TABLE bt_edge (
  b bool, i2 int2, i4 int4, i8 int8, o oid, f4 float4, f8 float8,
  d date, t time, ts timestamp, tz timestamptz,
  tx text, vc varchar, bc bpchar, by bytea, u uuid);
INSERT INTO bt_edge VALUES
 (true, 32767, -2147483648, 9223372036854775807, 4294967295, '-0', '-0',
  '4713-01-01 BC', '24:00:00', '4713-01-01 00:00:00 BC', '294276-12-31 23:59:59.999999+00',
  'ünïcödé ☃', 'v', 'pad  ', '\x00'::bytea, 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
 (false, -1, 1, -1, 0, 'Infinity', 'NaN',
  '5874897-12-31', '00:00:00', '294276-12-31 23:59:59.999999', '4713-01-01 00:00:00+00 BC',
  E'tab\there', '', ' ', '\xdeadbeef'::bytea, '00000000-0000-0000-0000-000000000001'),
 (NULL, NULL, NULL, NULL, NULL, '1e-45', '4.9e-324', '-infinity', NULL, 'infinity', '-infinity',
  NULL, NULL, NULL, NULL, NULL);
CREATE TEMP TABLE bt_back AS
SELECT * FROM pg_background_result(pg_background_launch('SELECT * FROM bt_edge')) AS (
  b bool, i2 int2, i4 int4, i8 int8, o oid, f4 float4, f8 float8,
  d date, t time, ts timestamp, tz timestamptz,
  tx text, vc varchar, bc bpchar, by bytea, u uuid);
SELECT (SELECT count(*) FROM bt_back) AS rows_back,
       (SELECT count(*) FROM (SELECT * FROM bt_edge EXCEPT SELECT * FROM bt_back) d) AS differing_rows;
-- -0 keeps its sign, bpchar its padding, bytea its zero byte
SELECT f4::text, f8::text, octet_length(bc) AS bc_len, by FROM bt_back ORDER BY b NULLS LAST;

-- Many small rows through the smallest queue: every batch is split into
-- chunks by shm_mq; order and content survive.
SELECT count(*), sum(g), bool_and(t = md5(g::text)) AS same,
       bool_and(g = ord) AS in_order
  FROM (SELECT *, row_number() OVER () AS ord FROM pg_background_result(pg_background_launch(
    'SELECT g, md5(g::text) FROM generate_series(1, 20000) g', 64)) AS (g int, t text)) s;

-- Rows larger than a batch (16 kB for a 64 kB queue) travel alone, and a
-- value of 300 kB sends the rows before it first; neighbours stay in order.
SELECT count(*), sum(length(v)), bool_and(g = ord) AS in_order,
       max(length(v)) FILTER (WHERE g = 500) AS big,
       max(length(v)) FILTER (WHERE g = 700) AS medium
  FROM (SELECT *, row_number() OVER () AS ord FROM pg_background_result(pg_background_launch(
    $$SELECT g, CASE g WHEN 500 THEN repeat('y', 300000)
                       WHEN 700 THEN repeat('z', 20000)
                       ELSE g::text END
        FROM generate_series(1, 1000) g$$, 65536)) AS (g int, v text)) s;

-- A notice raised while rows are pending arrives; the rows all arrive.
CREATE FUNCTION bt_noisy(g int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF g % 2500 = 0 THEN RAISE NOTICE 'row %', g; END IF;
  RETURN g;
END $$;
SELECT count(*), sum(g) FROM pg_background_result(pg_background_launch(
    'SELECT bt_noisy(g) FROM generate_series(1, 10000) g')) AS (g int);

-- An error after rows were sent: the error, no rows.
SELECT count(*) FROM pg_background_result(pg_background_launch(
    'SELECT 1 / (5000 - g) FROM generate_series(1, 10000) g')) AS (x int);

-- A declared type with a typmod takes PostgreSQL's own path, with its
-- rounding and its checks.
SELECT * FROM pg_background_result(pg_background_launch(
    $$SELECT '2024-01-01 10:00:00.987654'::timestamp, 'abc  '::text$$))
  AS (ts timestamp(0), v varchar(3));
SELECT * FROM pg_background_result(pg_background_launch(
    $$SELECT 'abcdef'::text$$)) AS (v varchar(3));

-- Text arrives in the database encoding whatever the session's
-- client_encoding: the Go path (text), PostgreSQL's receive functions
-- (varchar(n), jsonb, text[], a composite), and a worker that changes its
-- own client_encoding.  (chr(233) is e-acute: the SQL stays ASCII.)
SET client_encoding = 'LATIN1';
SELECT convert_to(t, 'UTF8') AS t, convert_to(vc, 'UTF8') AS vc,
       convert_to(jb ->> 'k', 'UTF8') AS jb, convert_to(ta[1], 'UTF8') AS ta,
       convert_to((p).b, 'UTF8') AS p
  FROM pg_background_result(pg_background_launch(
    $$SELECT chr(233), chr(233)::varchar(3), jsonb_build_object('k', chr(233)),
             ARRAY[chr(233)], ROW(1, chr(233))::ty_pair$$))
  AS (t text, vc varchar(3), jb jsonb, ta text[], p ty_pair);
SELECT convert_to(t, 'UTF8') AS t, convert_to(ta[1], 'UTF8') AS ta
  FROM pg_background_result(pg_background_launch(
    $$SET client_encoding = 'LATIN1'; SELECT chr(233), ARRAY[chr(233)]$$)) AS (t text, ta text[]);
SHOW client_encoding;
-- an error while decoding (a domain check) leaves the session's encoding
SELECT * FROM pg_background_result(pg_background_launch('SELECT -1')) AS (v ty_pos);
SHOW client_encoding;
RESET client_encoding;

-- Varlena types travel in their internal form (PGBG_FORMAT_INTERNAL):
-- toasted values (compressed in line, and stored out of line) are
-- detoasted by the worker, expanded arrays (PL/pgSQL) flattened.
-- (pglz: what compresses differs with lz4, the default of some builds)
CREATE TABLE bt_toast (id int, j jsonb COMPRESSION pglz, a text[] COMPRESSION pglz, n numeric);
INSERT INTO bt_toast VALUES
  (1, jsonb_build_object('k', repeat('c', 5000)), ARRAY[repeat('a', 4000)], 1.5),
  (2, (SELECT jsonb_agg(md5(g::text)) FROM generate_series(1, 20000) g),
      (SELECT array_agg(md5(g::text)) FROM generate_series(1, 20000) g), 10 ^ 100);
-- row 1 is compressed in line, row 2 larger than a page: out of line
SELECT id, pg_column_compression(j) IS NOT NULL AS j_compressed,
       pg_column_size(j) > 8192 AS j_out_of_line, pg_column_size(a) > 8192 AS a_out_of_line
  FROM bt_toast ORDER BY id;
SELECT b.id, md5(b.j::text) = md5(t.j::text) AS j_same, md5(b.a::text) = md5(t.a::text) AS a_same,
       b.n = t.n AS n_same
  FROM pg_background_result(pg_background_launch('SELECT * FROM bt_toast')) AS b(id int, j jsonb, a text[], n numeric)
  JOIN bt_toast t USING (id) ORDER BY id;
CREATE FUNCTION bt_expanded(n int) RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE r int[] := '{}';
BEGIN
  FOR i IN 1..n LOOP r := r || i; END LOOP;
  RETURN r;
END $$;
SELECT array_length(v, 1), v[1000], v = bt_expanded(1000) AS same
  FROM pg_background_result(pg_background_launch('SELECT bt_expanded(1000)')) AS (v int[]);
-- an internal value declared as another type: PostgreSQL's assignment
-- rules apply (typmod, I/O conversion, domain checks)
CREATE DOMAIN bt_small_json AS jsonb CHECK (pg_column_size(VALUE) < 100);
SELECT * FROM pg_background_result(pg_background_launch(
    $$SELECT 3.14159::numeric, '{"a": [1, 2]}'::jsonb, '{"b": 1}'::jsonb, ARRAY[1.5, 2.5]$$))
  AS (n numeric(4,2), t text, d bt_small_json, a int[]);
SELECT * FROM pg_background_result(pg_background_launch(
    $$SELECT jsonb_build_object('k', repeat('x', 200))$$)) AS (d bt_small_json);
