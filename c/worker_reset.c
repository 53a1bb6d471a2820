/*
 * worker_reset.c
 *		Between two jobs: give the next one the session state of a new
 *		backend, and decide whether that is possible at all.
 *
 * A new backend has no temporary tables, prepared statements, cursors,
 * advisory locks, LISTENs, changed settings or session authorization
 * (DISCARD ALL undoes those; worker.c releases slots and advisory locks
 * before ReadyForQuery), no temporary replication slot, a random()
 * sequence nobody chose, and none of this extension's own jobs or workers.
 * What cannot be undone rules out reuse instead: a job that ran in a
 * security context, that created settings (custom placeholders, a LOADed
 * library's), or whose output into the queue broke (worker_output.c).  A
 * worker only ever serves one identity of its session (pool.c), so what
 * survives all this (a LOADed library without settings, a dblink
 * connection) stays with that identity, as it would in a backend.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/discard.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/fmgrprotos.h"
#include "utils/snapmgr.h"

#include "pg_background.h"
#include "pgbg_compat.h"
#include "worker_internal.h"

/* A new random() sequence, as unpredictable as a new backend's. */
static void
reseed_random(void)
{
	uint64		r;

	if (!pg_strong_random(&r, sizeof(r)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
	/* setseed takes [-1, 1]: 53 random bits of mantissa */
	(void) DirectFunctionCall1(setseed,
							   Float8GetDatum((double) (r >> 11) / (double) (UINT64CONST(1) << 52) - 1.0));
}

/*
 * Run after a job's output is complete and the queue detached; errors are
 * recovered from by the caller (and rule out reuse).
 */
void
pgbg_reset_session(void)
{
	DiscardStmt stmt;

	SetUserIdAndSecContext(GetSessionUserId(), 0);
	memset(&stmt, 0, sizeof(stmt));
	stmt.type = T_DiscardStmt;
	stmt.target = DISCARD_ALL;
	StartTransactionCommand();
	/* as PortalRunUtility gives it: dropping temporary tables needs one */
	PushActiveSnapshot(GetTransactionSnapshot());
	DiscardCommand(&stmt, true);
	PopActiveSnapshot();
	reseed_random();
	CommitTransactionCommand();

	/* Jobs the job launched run on, detached; its workers leave. */
	pgbg_session_reset();
}

/*
 * The job ended inside a transaction block (BEGIN without COMMIT): there is
 * no next query to end it, so it is rolled back, as when a session ends, and
 * the launcher is told.
 */
void
pgbg_end_open_transaction_block(void)
{
	if (!IsTransactionBlock())
		return;
	ereport(WARNING,
			(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
			 errmsg("background job ended inside a transaction block"),
			 errdetail("Its transaction was rolled back, as when a session ends."),
			 errhint("End the SQL string with COMMIT.")));
	AbortOutOfAnyTransaction();
}

/* Whether the job left this worker fit for another job (see above). */
bool
pgbg_job_left_worker_reusable(const PgbgFixed *fixed)
{
	return !pgbg_output_broken() && fixed->identity.sec_context == 0 &&
		!pgbg_job_added_settings();
}
