/*
 * pgbg_go.h
 *		The launcher's entry into the Go library (c/pgbg_go.c).
 */
#ifndef PGBG_GO_H
#define PGBG_GO_H

#include "pgbg_bridge.h"

#define PGBG_GO_LIBRARY "libpg_background_go.so"

/*
 * Parse a batch of worker messages in Go (see pgbg_go_parse_fn).  Loads the
 * library on first use; raises an ERROR if it cannot be loaded.  Never
 * raises while Go is running: the Go call returns first.
 */
extern int32 pgbg_go_parse(const PgbgRawMsg *msgs, int32 nmsgs,
						   PgbgParseOut *out, char *errbuf, int32 errbuf_len);

/*
 * Load the library now if it is not loaded yet, never raising: a launch
 * calls this while a new worker starts, which takes longer, so the first
 * result of a session does not pay for loading Go.  A failure is raised by
 * pgbg_go_parse when the library is needed.
 */
extern void pgbg_go_preload(void);

#endif							/* PGBG_GO_H */
