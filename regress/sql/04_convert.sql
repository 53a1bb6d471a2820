-- The column definition list may differ from the worker's types where
-- PostgreSQL could assign one to the other; truly unconvertible pairs and a
-- different column count are errors (SQLSTATE 42804).
\set VERBOSITY default
\set SHOW_CONTEXT never
-- widening and exact conversions (converted in Go)
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT 2147483647::int4, (-32768)::int2, 9223372036854775807::int8, 1.5::float4')) AS
    (a int8, b int4, c numeric, d float8);
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT (-2147483648)::int4, 7::int2, (-9223372036854775808)::int8, NULL::int4')) AS
    (a numeric, b text, c varchar, d int8);
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT 12345::int4, 99::int4')) AS (a numeric(10,2), b varchar(2));
-- other assignment casts (PostgreSQL's own coercion)
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT 3.7::numeric, 41::int8, ''42''::text, 1.25::float8')) AS (a int4, b int2, c varchar(5), d numeric);
-- anything as text, with the launcher's DateStyle
SET datestyle = 'ISO, YMD';
SELECT * FROM pg_background_result(pg_background_launch(
    'SELECT ''2024-02-29 13:14:15''::timestamp, ''{1,2}''::int[], ROW(1,''a'')::record, true, ''{"a":1}''::jsonb')) AS
    (ts text, arr text, rec text, b text, j text);
RESET datestyle;
-- a domain declared over the worker's type, or over a converted one: checked
CREATE DOMAIN cv_pos AS int4 CHECK (VALUE > 0);
CREATE DOMAIN cv_pos8 AS int8 CHECK (VALUE > 0);
CREATE DOMAIN cv_short AS text CHECK (length(VALUE) < 5);
SELECT * FROM pg_background_result(pg_background_launch('SELECT 5')) AS (v cv_pos);
SELECT * FROM pg_background_result(pg_background_launch('SELECT -5')) AS (v cv_pos);
SELECT * FROM pg_background_result(pg_background_launch('SELECT 5::int4')) AS (v cv_pos8);
SELECT * FROM pg_background_result(pg_background_launch('SELECT 0::int4')) AS (v cv_pos8);
SELECT * FROM pg_background_result(pg_background_launch('SELECT 123')) AS (v cv_short);
SELECT * FROM pg_background_result(pg_background_launch('SELECT 123456')) AS (v cv_short);
CREATE DOMAIN cv_nn AS int4 NOT NULL;
SELECT * FROM pg_background_result(pg_background_launch('SELECT NULL::int4')) AS (v cv_nn);
-- assignments that fail on the value
SELECT * FROM pg_background_result(pg_background_launch('SELECT 40000::int4')) AS (v int2);
SELECT * FROM pg_background_result(pg_background_launch('SELECT 12345::int4')) AS (v varchar(3));
-- unconvertible pairs
SELECT * FROM pg_background_result(pg_background_launch('SELECT 1::int4')) AS (v bool);
SELECT * FROM pg_background_result(pg_background_launch('SELECT now()')) AS (v int4);
SELECT * FROM pg_background_result(pg_background_launch('SELECT 1, ''x''::text')) AS (a int, b point);
-- column count mismatch
SELECT * FROM pg_background_result(pg_background_launch('SELECT 1, 2')) AS (a int);
SELECT * FROM pg_background_result(pg_background_launch('SELECT 1')) AS (a int, b int);
SELECT * FROM pg_background_result(pg_background_launch('VACUUM')) AS (a text, b text);
-- a command tag read as something other than text
SELECT * FROM pg_background_result(pg_background_launch('VACUUM')) AS (a varchar(3));
SELECT * FROM pg_background_result(pg_background_launch('VACUUM')) AS (a int);
