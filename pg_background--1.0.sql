/* pg_background--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pg_background" to load this file. \quit

-- Start a background worker running sql; returns its pid once the worker is
-- attached to its result queue.
CREATE FUNCTION pg_background_launch(sql pg_catalog.text,
                                     queue_size pg_catalog.int4 DEFAULT 65536)
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Read the rows (or the command tag) of a worker this session launched.
CREATE FUNCTION pg_background_result(pid pg_catalog.int4)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Forget a worker: it runs on and commits; its output is discarded.
CREATE FUNCTION pg_background_detach(pid pg_catalog.int4)
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Running arbitrary SQL in the background is a privilege: grant it.
REVOKE ALL ON FUNCTION pg_background_launch(pg_catalog.text, pg_catalog.int4) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_result(pg_catalog.int4) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_background_detach(pg_catalog.int4) FROM PUBLIC;
