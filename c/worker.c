/*
 * worker.c
 *		pg_background_worker_main(): the entry point of every worker, and
 *		its life: take a job from its control segment (see pool.c), run it,
 *		recover, reset, and wait for the next one, until it has been idle
 *		for pg_background.worker_idle_timeout or its session ends.
 *
 * A reused worker must be a fresh backend for each job.  What PostgresMain
 * and exec_simple_query (postgres.c) do per query, and where a job does it:
 *
 *	query arrives: SetCurrentStatementStartTimestamp, so statement_timestamp()
 *	  and now() (and xact_start) of every transaction the string starts are
 *	  the job's start ............................................. run_job
 *	config reload after SIGHUP (idle, and before a job) .. reload_config
 *	pgstat_report_activity(RUNNING) with the string, query_start, query id
 *	  reset per statement; log_statement; ps display per statement
 *	  ............................................................ worker_exec.c
 *	per statement: start the transaction and the statement_timeout; an
 *	  implicit block around several statements; a snapshot for parse
 *	  analysis; a memory context for its parse analysis and plan, deleted
 *	  after it; CommandCounterIncrement and the statement_timeout stopped
 *	  before the next; the last statement's commit before its
 *	  CommandComplete; log_duration / log_min_duration_statement
 *	  ............................................................ worker_exec.c
 *	error recovery (PostgresMain's sigsetjmp block): timeouts off, cancel
 *	  dropped, pq_comm_reset, abort, PortalErrorCleanup, replication slot
 *	  release and temporary slot cleanup, jit_reset_after_error, report,
 *	  error state flushed .......................................... recover
 *	ReadyForQuery, once the job's session state that other sessions can
 *	  see (temporary replication slots, advisory locks) is gone
 *	  ............................... end_visible_session_state, ready_for_query
 *	idle: pgstat_report_stat, state "idle", ps "idle", catalog snapshot
 *	  invalidated, a cancel has nothing to cancel ....... reset_session, next_job
 *
 * and what a new backend of the session would not have: DISCARD ALL, the
 * setseed() state, this extension's own jobs and workers launched by the
 * job (worker_reset.c); the launcher's
 * settings, role and identity (worker_identity.c).  A worker is reused only
 * for the identity it served (pool.c), never after a job that ran in a
 * security context (SECURITY DEFINER), that created custom settings, or
 * whose output into the queue broke.
 *
 * For each job the order matters (as in ParallelWorkerMain): attach to the
 * job's queue and redirect protocol output into it first, because before
 * that nothing the worker reports can reach the launcher; then connect (on
 * the first job), take on the launcher's settings and identity, run the SQL
 * and say ReadyForQuery.  No Go is loaded in this process.
 */
#include "postgres.h"

#include "access/xact.h"
#include "jit/jit.h"
#include "libpq/libpq.h"
#include "libpq/pqmq.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "replication/slot.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/shm_toc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/ps_status.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "pg_background.h"
#include "pgbg_compat.h"
#include "worker_internal.h"

/* A launch that found no free worker slot asked idle workers to leave. */
static volatile sig_atomic_t reclaim_requested = false;

static void
handle_reclaim(SIGNAL_ARGS)
{
	int			save_errno = errno;

	reclaim_requested = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/* SIGHUP: as in PostgresMain, read the configuration file between queries. */
static void
reload_config(void)
{
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
}

/*
 * Report an error and recover from it the way PostgresMain does, so that
 * the worker can take another job, with two differences.  We abort out of
 * any transaction block too: the job is over, there is no next query to
 * ROLLBACK it.  And the abort comes before the report, which may wait for
 * room in the queue of a launcher that does not read yet: the job's locks
 * are gone by then, and termination still works meanwhile (a cancel
 * waits).  The client encoding is the database's again, so that the
 * report reaches the launcher even if the job changed it.
 */
static void
recover(void)
{
	HOLD_INTERRUPTS();
	disable_all_timeouts(false);
	QueryCancelPending = false;
	pq_comm_reset();
	AbortOutOfAnyTransaction();
	PortalErrorCleanup();
	if (MyReplicationSlot != NULL)
		ReplicationSlotRelease();
	pgbg_ReplicationSlotCleanup();
	jit_reset_after_error();
	SetClientEncoding(GetDatabaseEncoding());
	HOLD_CANCEL_INTERRUPTS();
	RESUME_INTERRUPTS();
	EmitErrorReport();
	RESUME_CANCEL_INTERRUPTS();
	HOLD_INTERRUPTS();
	debug_query_string = NULL;
	MemoryContextSwitchTo(TopMemoryContext);
	FlushErrorState();
	RESUME_INTERRUPTS();
}

/*
 * Release what other sessions see of the job: a new backend holds no
 * temporary replication slot and no session-level advisory lock.
 */
static void
end_visible_session_state(void)
{
	if (MyReplicationSlot != NULL)
		ReplicationSlotRelease();
	pgbg_ReplicationSlotCleanup();
	LockReleaseAll(USER_LOCKMETHOD, true);
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
 * another job (worker_reset.c says what rules it out).  *idle_ms receives
 * the launcher's pg_background.worker_idle_timeout, capped (the SQL may
 * change ours).
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
	volatile bool reusable = false;	/* set in PG_TRY */
	static MemoryContext job_cxt = NULL;

	/* A query arrived: its statement timestamp (now(), xact_start). */
	SetCurrentStatementStartTimestamp();
	reload_config();
	reclaim_requested = false;

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
	/* Counted against the launcher's role from now on (slots.c). */
	MyProc->roleId = fixed->authenticated_user_id;
	shm_mq_set_sender(mq, MyProc);
	old = MemoryContextSwitchTo(job_cxt);
	mqh = shm_mq_attach(mq, seg, NULL);
	MemoryContextSwitchTo(old);
	pgbg_redirect_output(seg, mqh);
	pgbg_job_begin(slot, fixed);

	/*
	 * Without this handler an ERROR would be promoted to FATAL.  Report it
	 * (into the queue, and to the server log as configured) and roll back,
	 * as PostgresMain does; FATAL (e.g. pg_terminate_backend) still exits.
	 */
	PG_TRY();
	{
		pgbg_become_launcher(fixed, gucstate, connected);
		*idle_ms = pgbg_effective_idle_timeout();
		pgbg_job_execute(sql, fixed);
		reusable = true;
	}
	PG_CATCH();
	{
		pgbg_job_failed();
		recover();
		/* recovered, as a backend after an ERROR; not from a failed connect */
		reusable = *connected;
	}
	PG_END_TRY();

	/*
	 * The job's session is over before the launcher hears so: what other
	 * sessions can see of it (temporary replication slots, advisory locks)
	 * goes now, the rest with reset_session.
	 */
	end_visible_session_state();
	pgbg_job_end();

	/*
	 * Tell the launcher we are done.  The detach ends the redirection: from
	 * here on, reports go to the log.
	 */
	ready_for_query();
	reusable = reusable && pgbg_job_left_worker_reusable(fixed);
	dsm_detach(seg);			/* fixed, sql, gucstate are gone */
	MemoryContextReset(job_cxt);
	return reusable;
}

/*
 * Give the next job the state of a fresh session (worker_reset.c) and show
 * ourselves idle, as a new backend that has not run a query yet.
 */
static bool
reset_session(void)
{
	volatile bool ok = true;

	PG_TRY();
	{
		pgbg_reset_session();
	}
	PG_CATCH();
	{
		recover();
		ok = false;
	}
	PG_END_TRY();
	InvalidateCatalogSnapshotConditionally();
	pgstat_report_stat(true);
	pgstat_report_activity(STATE_IDLE, "");
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
 * Wait for the session's next job; 0 once idle for idle_ms, retired, or
 * asked to give our worker slot to a launch that found none free (a
 * request that only an idle worker follows: a job handed to us at the same
 * moment wins).  The session sets our latch when it hands us a job or
 * retires us.
 */
static dsm_handle
next_job(PgbgPoolSlot *slot, int idle_ms)
{
	TimestampTz since = GetCurrentTimestamp();

	for (;;)
	{
		dsm_handle	job = 0;
		bool		leave = false;
		long		left;

		/* a maximum lowered by a reload applies to a worker already idle */
		reload_config();
		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
											   TimestampTzPlusMilliseconds(since,
																		   Min(idle_ms, pgbg_max_worker_idle_timeout_ms)));

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
		else if (slot->retire || left <= 0 || reclaim_requested)
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
		/* terminate, not cancel: outside a job a cancel would be FATAL */
		HOLD_CANCEL_INTERRUPTS();
		CHECK_FOR_INTERRUPTS();
		RESUME_CANCEL_INTERRUPTS();
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

	/* A worker runs queries: terminate, cancel and reload it like a backend. */
	pqsignal(SIGTERM, die);
	pqsignal(SIGINT, StatementCancelHandler);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGUSR2, handle_reclaim);
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
	pgbg_identity_init();
	pgbg_worker_job_init();

	for (;;)
	{
		dsm_handle	job = next_job(slot, idle_ms);

		if (job == 0 || !run_job(job, slot, &connected, &idle_ms))
			break;
		if (idle_ms <= 0 || !reset_session())
			break;
		/* a request to leave that came while busy was not for an idle worker */
		reclaim_requested = false;
		set_state(slot, PGBG_POOL_IDLE);
	}
	proc_exit(0);
}
