/*
 * result_wait.c
 *		The sleep in pg_background_result's wait loop.
 *
 * Who wakes us: the worker sets our latch when it writes into the queue or
 * detaches from it; the postmaster signals us (SIGUSR1 -> latch) when the
 * worker stops; signal handlers set it for cancel, timeouts, termination.
 *
 * A client backend waits on FeBeWaitSet, the backend's own wait set for
 * its client socket, with the socket event set to WL_SOCKET_CLOSED, as
 * pq_check_connection() does: a client that goes away ends the session
 * (and, see session.c, the worker it waited for) instead of leaving it
 * waiting.  Without a client (a background worker calling us) a plain latch
 * wait is used.
 */
#include "postgres.h"

#include "libpq/libpq.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/timestamp.h"

#include "pgbg_compat.h"
#include "pgbg_wait.h"

static void
wait_on_client_set(long timeout)
{
	WaitEvent	events[FeBeWaitSetNEvents];
	int			n;

	ModifyWaitEvent(FeBeWaitSet, FeBeWaitSetSocketPos, WL_SOCKET_CLOSED, NULL);
	n = WaitEventSetWait(FeBeWaitSet, timeout, events, lengthof(events),
						 PG_WAIT_EXTENSION);
	for (int i = 0; i < n; i++)
	{
		if (events[i].events & WL_POSTMASTER_DEATH)
			ereport(FATAL,
					(errcode(ERRCODE_ADMIN_SHUTDOWN),
					 errmsg("terminating connection due to unexpected postmaster exit")));
		if (events[i].events & WL_SOCKET_CLOSED)
			ereport(FATAL,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("connection to client lost while waiting for a background worker")));
	}
}

void
pgbg_wait_for_worker(int32 worker_pid, TimestampTz *next_check,
					 TimestampTz deadline)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz wake;
	long		timeout;

	if (*next_check == 0)
		*next_check = TimestampTzPlusMilliseconds(now, DeadlockTimeout);
	else if (now >= *next_check)
	{
		pgbg_check_deadlock(worker_pid);
		*next_check = TimestampTzPlusMilliseconds(now, DeadlockTimeout);
	}
	wake = (deadline != 0 && deadline < *next_check) ? deadline : *next_check;
	timeout = Max(1, (long) ((wake - now + 999) / 1000));

	if (FeBeWaitSet != NULL && MyProcPort != NULL && WL_SOCKET_CLOSED != 0)
		wait_on_client_set(timeout);
	else
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}
