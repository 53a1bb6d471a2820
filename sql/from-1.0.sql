-- pg_background 1.0 -> 1.8: 1.0 has the v1 API only; sql/v2-1.8.sql adds the rest.
-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pg_background UPDATE" to load this file. \quit
