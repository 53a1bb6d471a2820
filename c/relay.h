/*
 * relay.h
 *		Re-raise an error or notice a worker reported, in the launcher.
 */
#ifndef RELAY_H
#define RELAY_H

#include "pgbg_bridge.h"

/*
 * fields[0..PGBG_EF_COUNT): the C strings of the fields Go laid out in the
 * PGBG_EF_* order, NULL for an absent one.  An error (is_error) is
 * raised at ERROR (a worker's FATAL/PANIC included) and does not return;
 * a notice is raised at its own level and returns.  sql is the worker's SQL
 * string, used as the internal query a syntax error position points into.
 */
extern void pgbg_relay(const char *const *fields, bool is_error, int32 pid,
					   const char *sql);

#endif							/* RELAY_H */
