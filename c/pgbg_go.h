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

#endif							/* PGBG_GO_H */
