/*
 * pgbg_wait.h
 *		Waiting for a worker's output (c/result_wait.c, c/deadlock.c).
 */
#ifndef PGBG_WAIT_H
#define PGBG_WAIT_H

#include "datatype/timestamp.h"

/*
 * Sleep until the latch is set (new output, worker stopped), the next
 * deadlock check is due, the deadline (0: none) has come, or the client
 * goes away.  *next_check is 0 when
 * the caller just made progress; it is managed here otherwise.  Checks for
 * interrupts; raises 40P01 on a deadlock with the worker and FATAL when the
 * client has disconnected.
 */
extern void pgbg_wait_for_worker(int32 worker_pid, TimestampTz *next_check,
								 TimestampTz deadline);

/* Raise 40P01 if worker_pid is blocked, transitively, by this session. */
extern void pgbg_check_deadlock(int32 worker_pid);

#endif							/* PGBG_WAIT_H */
