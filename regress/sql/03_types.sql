-- Every kind of data type survives the trip, in binary where the type
-- allows it and in text where it has no send/receive functions.
\set VERBOSITY terse
CREATE TYPE ty_mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE ty_pair AS (a int, b text);
CREATE DOMAIN ty_pos AS int CHECK (VALUE > 0);
CREATE TABLE ty_src (
  i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric, b bool,
  t text, vc varchar(10), c char(3), by bytea, j json, jb jsonb, u uuid,
  d date, ts timestamp, tz timestamptz, iv interval, ia int[], ta text[],
  e ty_mood, p ty_pair, pa ty_pair[], r int4range, mr int4multirange,
  dp ty_pos, x xml, inet_ inet, pt point, bits bit varying);
INSERT INTO ty_src VALUES
 (-32768, 2147483647, -9223372036854775808, 1.5, -2.25e300, 12345678901234567890.0123456789,
  true, 'héllo wörld', 'varchar', 'ab', '\x00ff10'::bytea, '{"k": [1, 2]}', '{"b": 2, "a": 1}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-02-29', '2024-02-29 13:14:15.123456',
  '2024-02-29 13:14:15+02', '1 year 2 mons 3 days 04:05:06', '{1,NULL,3}', '{"a b",NULL,"c\"d"}',
  'happy', ROW(1, 'x'), ARRAY[ROW(2, 'y')::ty_pair, NULL], '[1,5)', '{[1,3), [7,9)}',
  7, '<a>b</a>', '10.0.0.1/8', '(1.5,2)', B'10110'),
 (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (0, 0, 0, 'NaN', '-Infinity', 'NaN', false, '', '', '', '\x', 'null', '[]',
  '00000000-0000-0000-0000-000000000000', 'infinity', '-infinity', 'infinity', '0',
  '{}', '{}', 'sad', ROW(NULL, NULL), '{}', 'empty', '{}', 1, '', '::1', '(0,0)', B'');

-- each row read through the worker equals the row read directly
CREATE TEMP TABLE ty_back AS
SELECT * FROM pg_background_result(pg_background_launch('SELECT * FROM ty_src')) AS (
  i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric, b bool,
  t text, vc varchar(10), c char(3), by bytea, j json, jb jsonb, u uuid,
  d date, ts timestamp, tz timestamptz, iv interval, ia int[], ta text[],
  e ty_mood, p ty_pair, pa ty_pair[], r int4range, mr int4multirange,
  dp ty_pos, x xml, inet_ inet, pt point, bits bit varying);
SELECT count(*) AS rows_back FROM ty_back;
SELECT (SELECT count(*) FROM (
    SELECT i2, i4, i8, f4, f8, n, b, t, vc, c, by, j::text, jb, u, d, ts, tz, iv, ia, ta,
           e, p, pa, r, mr, dp, x::text, inet_, pt::text, bits FROM ty_src
    EXCEPT
    SELECT i2, i4, i8, f4, f8, n, b, t, vc, c, by, j::text, jb, u, d, ts, tz, iv, ia, ta,
           e, p, pa, r, mr, dp, x::text, inet_, pt::text, bits FROM ty_back) d) AS differing_rows;
SELECT i2, i8, n, t, by, jb, tz, ia, ta, p, pa, mr FROM ty_back ORDER BY i2 NULLS LAST;

-- anonymous records and a type without binary I/O travel as text
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT ROW(1, ''a''), ARRAY[ROW(2, ''b'')]')) AS (r text, ra text);
-- (the shell-type notices differ between majors)
SET client_min_messages = warning;
CREATE TYPE ty_textonly;
CREATE FUNCTION ty_textonly_in(cstring) RETURNS ty_textonly
  AS 'textin' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION ty_textonly_out(ty_textonly) RETURNS cstring
  AS 'textout' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE ty_textonly (INPUT = ty_textonly_in, OUTPUT = ty_textonly_out, LIKE = text);
RESET client_min_messages;
SELECT v::text FROM pg_background_result(pg_background_launch(
    'SELECT ''no binary io''::ty_textonly UNION ALL SELECT NULL')) AS (v ty_textonly);
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT ARRAY[''in an array''::ty_textonly]')) AS (v text);

-- values far larger than the queue (64 kB queue, 20 MB values)
SELECT length(v), md5(v) = md5(repeat('abcdefghij', 2000000)) AS same
  FROM pg_background_result(pg_background_launch(
    'SELECT repeat(''abcdefghij'', 2000000)', 65536)) AS (v text);
SELECT length(v), md5(v) = md5(repeat('x', 30000000)::bytea) AS same
  FROM pg_background_result(pg_background_launch(
    'SELECT repeat(''x'', 30000000)::bytea', 65536)) AS (v bytea);
-- many rows through a small queue
SELECT count(*), sum(g), count(DISTINCT t) FROM pg_background_result(pg_background_launch(
    'SELECT g, md5(g::text) FROM generate_series(1, 200000) g', 16384)) AS (g int, t text);
-- a wide row: 1600 columns
SELECT format('SELECT %s', string_agg(format('%s AS c%s', g, g), ', ')) AS wide_sql,
       format('(%s)', string_agg(format('c%s int', g), ', ')) AS wide_cols
  FROM generate_series(1, 1600) g \gset
SELECT c1, c800, c1600 FROM pg_background_result(pg_background_launch(:'wide_sql')) AS :wide_cols;
