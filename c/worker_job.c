/*
 * worker_job.c
 *		The worker's side of the job state it shares with its session
 *		(PgbgJobState in the control segment, c/job_state.c): cancel before
 *		a commit, pg_background.worker_timeout, how the job ended, and
 *		pg_background_progress().
 *
 * Cancel.  pg_background_cancel_v2 sets cancel_requested and sends SIGINT
 * unless past_commit is set.  We set past_commit in the pre-commit callback
 * after seeing no cancel requested (both under the slot's mutex), and clear
 * it once that commit is done, unless it was the job's last: then the job
 * only reports its end, which a cancel must not turn into an error.  A
 * cancel that came during a commit (no SIGINT) stops the job when it
 * begins its next transaction.  So a transaction the cancel came before
 * aborts, at its commit at the latest; one whose commit came first is never
 * touched by it.
 *
 * worker_timeout.  A timeout (RegisterTimeout) for the whole job.  Its
 * handler runs in signal context, so it cannot take the mutex: it cancels
 * the running statement only when no commit is under way in this process
 * (past_commit_here, set by the pre-commit callback before it looks at
 * timed_out), and the next transaction or commit checks timed_out.
 */
#include "postgres.h"

#include "access/xact.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "pg_background.h"
#include "worker_internal.h"

PG_FUNCTION_INFO_V1(pg_background_progress);

/* The slot of the job this worker runs; NULL between jobs and elsewhere. */
static PgbgPoolSlot *job_slot = NULL;
static TimeoutId job_timeout_id;
static volatile sig_atomic_t timed_out = false;
static volatile sig_atomic_t past_commit_here = false;
static bool final_commit = false;
static int	job_timeout_ms = 0;

static void
job_timeout_handler(void)
{
	timed_out = true;
	if (!past_commit_here)
	{
		QueryCancelPending = true;
		InterruptPending = true;
	}
	SetLatch(MyLatch);
}

static void
raise_canceled(bool by_timeout)
{
	if (by_timeout)
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("canceling background job due to pg_background.worker_timeout"),
				 errdetail("The job ran for more than %d ms.", job_timeout_ms)));
	ereport(ERROR,
			(errcode(ERRCODE_QUERY_CANCELED),
			 errmsg("canceling statement due to user request")));
}

/*
 * Pre-commit: the last moment to cancel the transaction.  Commit or abort:
 * the next transaction may be canceled again, unless this was the job's
 * last commit.
 */
static void
job_xact_callback(XactEvent event, void *arg)
{
	bool		cancel;

	if (job_slot == NULL)
		return;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE ||
		event == XACT_EVENT_ABORT)
	{
		if (final_commit)
			return;
		SpinLockAcquire(&job_slot->mutex);
		job_slot->js.past_commit = false;
		cancel = job_slot->js.cancel_requested;
		SpinLockRelease(&job_slot->mutex);
		past_commit_here = false;

		/*
		 * A cancel (or timeout) that came during this commit was not
		 * signalled: raise it now.  Interrupts are held until the commit is
		 * done, so it strikes at the job's next interrupt check, also when
		 * a statement (VACUUM, a procedure's COMMIT) starts the next
		 * transaction itself.
		 */
		if (cancel || timed_out)
		{
			QueryCancelPending = true;
			InterruptPending = true;
		}
		return;
	}
	if (event != XACT_EVENT_PRE_COMMIT && event != XACT_EVENT_PRE_PREPARE)
		return;
	past_commit_here = true;
	SpinLockAcquire(&job_slot->mutex);
	cancel = job_slot->js.cancel_requested;
	if (!cancel && !timed_out)
		job_slot->js.past_commit = true;
	SpinLockRelease(&job_slot->mutex);
	if (cancel || timed_out)
	{
		past_commit_here = false;
		raise_canceled(!cancel);
	}
}

void
pgbg_worker_job_init(void)
{
	RegisterXactCallback(job_xact_callback, NULL);
	job_timeout_id = RegisterTimeout(USER_TIMEOUT, job_timeout_handler);
}

/* The job of fixed begins in slot (its output is redirected already). */
void
pgbg_job_begin(PgbgPoolSlot *slot, const PgbgFixed *fixed)
{
	job_slot = slot;
	timed_out = false;
	past_commit_here = false;
	final_commit = false;
	job_timeout_ms = fixed->worker_timeout_ms;
	pgbg_output_discard(fixed->discard_output);
}


/*
 * The job begins a transaction: a cancel (or timeout) that came during the
 * last commit stops the job here.
 */
void
pgbg_job_new_transaction(void)
{
	bool		cancel;

	if (job_slot == NULL)
		return;
	SpinLockAcquire(&job_slot->mutex);
	cancel = job_slot->js.cancel_requested;
	SpinLockRelease(&job_slot->mutex);
	if (cancel || timed_out)
		raise_canceled(!cancel);
}

/* The next commit is the job's last (worker_exec.c). */
void
pgbg_job_final_commit(void)
{
	final_commit = true;
}

/* Copy a string in the database encoding, cut at a character boundary. */
static void
copy_clipped(char *dst, const char *src, int size)
{
	int			len = strlen(src);

	if (len > size - 1)
		len = pg_mbcliplen(src, len, size - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * Inside PG_CATCH, before recovery: remember how the job failed.  A query
 * cancel (57014) while the session's cancel or the worker_timeout is
 * pending is theirs; any other error is a failure.
 */
void
pgbg_job_failed(void)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	ErrorData  *edata = CopyErrorData();
	PgbgJobStatus status = PGBG_STATUS_FAILED;
	char		error[PGBG_JOB_ERROR_LEN];

	MemoryContextSwitchTo(old);
	if (job_slot == NULL)
	{
		FreeErrorData(edata);
		return;
	}
	SpinLockAcquire(&job_slot->mutex);
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
	{
		if (job_slot->js.cancel_requested)
			status = PGBG_STATUS_CANCELED;
		else if (timed_out)
			status = PGBG_STATUS_TIMED_OUT;
	}
	SpinLockRelease(&job_slot->mutex);
	copy_clipped(error, edata->message ? edata->message : "", sizeof(error));
	SpinLockAcquire(&job_slot->mutex);
	job_slot->js.status = status;
	memcpy(job_slot->js.error, error, sizeof(error));
	SpinLockRelease(&job_slot->mutex);
	FreeErrorData(edata);
}

/*
 * Inside PG_CATCH around the job's SQL: a cancel the worker_timeout caused
 * is reported as the timeout (ProcessInterrupts would say "user request").
 */
static void
name_timeout(void)
{
	ErrorData  *edata;
	bool		cancel;

	MemoryContext old;

	if (!timed_out || job_slot == NULL)
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	edata = CopyErrorData();
	MemoryContextSwitchTo(old);
	SpinLockAcquire(&job_slot->mutex);
	cancel = job_slot->js.cancel_requested;
	SpinLockRelease(&job_slot->mutex);
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED && !cancel)
	{
		FreeErrorData(edata);
		FlushErrorState();
		raise_canceled(true);
	}
	FreeErrorData(edata);
}

/*
 * Run the job's SQL (the worker is connected and is the launcher), with
 * worker_timeout running from here, so that it always names itself.
 */
void
pgbg_job_execute(const char *sql, const PgbgFixed *fixed)
{
	if (job_timeout_ms > 0)
		enable_timeout_after(job_timeout_id, job_timeout_ms);
	PG_TRY();
	{
		pgbg_execute_sql_string(sql, fixed->queue_size, fixed->identity.sec_context);
	}
	PG_CATCH();
	{
		name_timeout();
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * The job is over: stop its timeout, say how it ended (if it did not
 * fail), before the ReadyForQuery that tells the session.
 */
void
pgbg_job_end(void)
{
	if (job_slot == NULL)
		return;
	if (job_timeout_ms > 0)
		disable_timeout(job_timeout_id, false);
	SpinLockAcquire(&job_slot->mutex);
	if (job_slot->js.status == PGBG_STATUS_RUNNING)
		job_slot->js.status = PGBG_STATUS_DONE;
	job_slot->js.ended_at = GetCurrentTimestamp();
	SpinLockRelease(&job_slot->mutex);
	job_slot = NULL;
	timed_out = false;
	past_commit_here = false;
	final_commit = false;
}

/*
 * pg_background_progress(pct, msg): the job's progress, for the session's
 * pg_background_get_progress_v2.  pct is clamped to 0..100 and msg cut to
 * 63 bytes (at a character boundary), as in the original extension.
 */
Datum
pg_background_progress(PG_FUNCTION_ARGS)
{
	int32		pct;
	char		msg[PGBG_PROGRESS_MSG_LEN];

	if (job_slot == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("pg_background_progress can only be called from a background job"),
				 errhint("Call it in the SQL passed to pg_background_launch_v2 or pg_background_submit_v2.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("progress percentage must not be null")));
	pct = Max(0, Min(100, PG_GETARG_INT32(0)));
	copy_clipped(msg, PG_ARGISNULL(1) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(1)),
				 sizeof(msg));
	SpinLockAcquire(&job_slot->mutex);
	job_slot->js.progress_pct = pct;
	memcpy(job_slot->js.progress_msg, msg, sizeof(msg));
	SpinLockRelease(&job_slot->mutex);
	PG_RETURN_VOID();
}
