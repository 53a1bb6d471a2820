/*
 * worker.c
 *		pg_background_worker_main(): the entry point of every worker, and
 *		its life: take a job from its control segment (see pool.c), run it,
 *		reset, and wait for the next one, until it has been idle for
 *		pg_background.worker_idle_timeout or its session ends.
 *
 * For each job the order matters (as in ParallelWorkerMain): attach to the
 * job's queue and redirect protocol output into it first, because before
 * that nothing the worker reports can reach the launcher; then connect (on
 * the first job), restore the launcher's settings and identity, run the SQL
 * and say ReadyForQuery.  An error is reported and recovered from as in
 * PostgresMain; then, after DISCARD ALL, the worker takes the next job with
 * the session state of a fresh one.  No Go is loaded in this process.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/async.h"
#include "commands/discard.h"
#include "libpq/libpq.h"
#include "libpq/pqmq.h"
#include "mb/pg_wchar.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shm_toc.h"
#include "tcop/dest.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/ps_status.h"
#include "utils/resowner.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "pg_background.h"

/*
 * Connect as the launcher's authenticated user (first job), then take on
 * the launcher's settings and roles.
 */
static void
become_launcher(PgbgFixed *fixed, char *gucstate, bool *connected)
{
	if (!*connected)
	{
		BackgroundWorkerInitializeConnectionByOid(fixed->database_id,
												  fixed->authenticated_user_id,
												  0);
		*connected = true;
	}
	else if (fixed->database_id != MyDatabaseId ||
			 fixed->authenticated_user_id != GetAuthenticatedUserId())
		elog(ERROR, "background worker was handed a job of another database or user");

	/* Parallel workers do the same: the launcher expects our encoding. */
	SetClientEncoding(GetDatabaseEncoding());

	StartTransactionCommand();
	if (strcmp(get_database_name(fixed->database_id),
			   NameStr(fixed->database)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("database \"%s\" was renamed while the background worker started",
						NameStr(fixed->database))));
	/* Resets every setting a job may have changed, then applies the session's. */
	RestoreGUCState(gucstate);
	CommitTransactionCommand();

	/* RestoreGUCState set client_encoding back to the launcher's. */
	SetClientEncoding(GetDatabaseEncoding());

	SetUserIdAndSecContext(fixed->current_user_id, fixed->sec_context);
}

/*
 * Report an error and recover from it the way PostgresMain does, so that
 * the worker can take another job: timeouts off, a pending cancel dropped,
 * the transaction aborted, the error state flushed.
 */
static void
report_and_abort(void)
{
	HOLD_INTERRUPTS();
	disable_all_timeouts(false);
	QueryCancelPending = false;
	EmitErrorReport();
	debug_query_string = NULL;
	AbortOutOfAnyTransaction();
	MemoryContextSwitchTo(TopMemoryContext);
	FlushErrorState();
	RESUME_INTERRUPTS();
}

/*
 * Say ReadyForQuery (EOF when the launcher detached the queue).  The job
 * is over: a cancel now would only lose the message, so it waits for the
 * next job (which drops it); termination still works while we wait for
 * room in the queue.
 */
static void
ready_for_query(void)
{
	char		status = TransactionBlockStatusCode();

	HOLD_CANCEL_INTERRUPTS();
	(void) pq_putmessage('Z', &status, 1);
	RESUME_CANCEL_INTERRUPTS();
}

/*
 * Run the job whose segment is job.  Returns whether the worker can take
 * another job: its error, if any, was recovered from, and its output into
 * queues still works (worker_output.c).  *idle_ms receives the launcher's
 * pg_background.worker_idle_timeout (the SQL may change ours).
 */
static bool
run_job(dsm_handle job, PgbgPoolSlot *slot, bool *connected, int *idle_ms)
{
	dsm_segment *seg;
	shm_toc    *toc;
	PgbgFixed  *fixed;
	char	   *sql;
	char	   *gucstate;
	shm_mq	   *mq;
	shm_mq_handle *mqh;
	MemoryContext old;
	static MemoryContext job_cxt = NULL;

	if (job_cxt == NULL)
		job_cxt = AllocSetContextCreate(TopMemoryContext, "pg_background job",
										ALLOCSET_SMALL_SIZES);
	seg = dsm_attach(job);
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not map dynamic shared memory segment")));
	/* We detach it ourselves, whatever resource owner is current. */
	dsm_pin_mapping(seg);
	toc = shm_toc_attach(PGBG_MAGIC, dsm_segment_address(seg));
	if (toc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("bad magic number in dynamic shared memory segment")));

	fixed = shm_toc_lookup(toc, PGBG_KEY_FIXED, false);
	sql = shm_toc_lookup(toc, PGBG_KEY_SQL, false);
	gucstate = shm_toc_lookup(toc, PGBG_KEY_GUC, false);
	/* made by the session before it handed us the job (pool.c) */
	mq = PGBG_POOL_QUEUE(slot);

	/*
	 * Publish our pid, then attach: the launcher waits for the attach.  The
	 * queue is detached with the job's segment, although it lives in ours.
	 * Its handle is the job's, freed with job_cxt once the segment is
	 * detached (a pooled worker runs any number of jobs).
	 */
	fixed->worker_pid = MyProcPid;
	shm_mq_set_sender(mq, MyProc);
	old = MemoryContextSwitchTo(job_cxt);
	mqh = shm_mq_attach(mq, seg, NULL);
	MemoryContextSwitchTo(old);
	pgbg_redirect_output(seg, mqh);

	/*
	 * Without this handler an ERROR would be promoted to FATAL.  Report it
	 * (into the queue, and to the server log as configured) and roll back,
	 * as PostgresMain does; FATAL (e.g. pg_terminate_backend) still exits.
	 */
	PG_TRY();
	{
		become_launcher(fixed, gucstate, connected);
		*idle_ms = pgbg_worker_idle_timeout_ms;
		pgbg_execute_sql_string(sql, fixed->queue_size);
	}
	PG_CATCH();
	{
		report_and_abort();
	}
	PG_END_TRY();

	/*
	 * Tell the launcher we are done.  The detach ends the redirection: from
	 * here on, reports go to the log.  A send that an error abandoned
	 * (caught or not) leaves pqmq.c unable to serve another job.
	 */
	ready_for_query();
	dsm_detach(seg);
	MemoryContextReset(job_cxt);
	return !pgbg_output_broken();
}

/*
 * Give the next job the state of a fresh session: DISCARD ALL (temporary
 * tables, prepared statements, cursors, advisory locks, LISTEN, settings)
 * as the session user.  The next job's RestoreGUCState and identity follow.
 */
static bool
reset_session(void)
{
	volatile bool ok = true;

	PG_TRY();
	{
		DiscardStmt stmt;

		SetUserIdAndSecContext(GetAuthenticatedUserId(), 0);
		memset(&stmt, 0, sizeof(stmt));
		stmt.type = T_DiscardStmt;
		stmt.target = DISCARD_ALL;
		StartTransactionCommand();
		DiscardCommand(&stmt, true);
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		report_and_abort();
		ok = false;
	}
	PG_END_TRY();
	pgstat_report_stat(true);
	pgstat_report_activity(STATE_IDLE, NULL);
	set_ps_display("idle");
	return ok;
}

/* Set our state in the control segment and wake the session. */
static void
set_state(PgbgPoolSlot *slot, PgbgPoolState state)
{
	PGPROC	   *session;

	SpinLockAcquire(&slot->mutex);
	if (state == PGBG_POOL_IDLE && slot->retire)
		state = PGBG_POOL_GONE;
	slot->state = state;
	session = slot->session;
	SpinLockRelease(&slot->mutex);
	SetLatch(&session->procLatch);
}

/*
 * Wait for the session's next job; 0 once idle for idle_ms, or retired.
 * The session sets our latch when it hands us a job or retires us.
 */
static dsm_handle
next_job(PgbgPoolSlot *slot, int idle_ms)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   idle_ms);

	for (;;)
	{
		dsm_handle	job = 0;
		bool		leave = false;
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
														   deadline);

		/*
		 * Idle, there is nothing to cancel (PostgresMain drops it too), and
		 * the next job must not inherit a cancel.
		 */
		QueryCancelPending = false;
		SpinLockAcquire(&slot->mutex);
		if (slot->state == PGBG_POOL_BUSY)
		{
			job = slot->job;
			slot->job = 0;
		}
		else if (slot->retire || left <= 0)
		{
			slot->state = PGBG_POOL_GONE;
			leave = true;
		}
		SpinLockRelease(&slot->mutex);
		if (job != 0 || leave)
			return job;

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		QueryCancelPending = false;
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * However the worker exits (idle timeout, retired, terminated, an error
 * outside a job), its slot says so first: the session never hands a job to
 * a worker that is gone.  The control segment is still mapped here.
 */
static void
leave_slot(int code, Datum arg)
{
	set_state((PgbgPoolSlot *) DatumGetPointer(arg), PGBG_POOL_GONE);
}

void
pg_background_worker_main(Datum main_arg)
{
	dsm_segment *ctl;
	PgbgPoolSlot *slot;
	bool		connected = false;
	int			idle_ms = 0;

	/* A worker runs queries: terminate and cancel it like a backend. */
	pqsignal(SIGTERM, die);
	pqsignal(SIGINT, StatementCancelHandler);
	BackgroundWorkerUnblockSignals();

	CurrentResourceOwner = ResourceOwnerCreate(NULL, "pg_background");
	ctl = dsm_attach(DatumGetUInt32(main_arg));
	if (ctl == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not map dynamic shared memory segment")));
	dsm_pin_mapping(ctl);
	slot = dsm_segment_address(ctl);
	SpinLockAcquire(&slot->mutex);
	slot->worker = MyProc;
	SpinLockRelease(&slot->mutex);
	before_shmem_exit(leave_slot, PointerGetDatum(slot));

	for (;;)
	{
		dsm_handle	job = next_job(slot, idle_ms);

		if (job == 0 || !run_job(job, slot, &connected, &idle_ms))
			break;
		if (idle_ms <= 0 || !reset_session())
			break;
		set_state(slot, PGBG_POOL_IDLE);
	}
	proc_exit(0);
}
