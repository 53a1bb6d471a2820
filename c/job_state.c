/*
 * job_state.c
 *		What the session knows of a job besides its output: how it ended,
 *		its progress, a cancel asked for (PgbgJobState, kept by the worker
 *		in its control segment), waiting for its end without reading it, the
 *		jobs of pg_background_submit_v2, and the session's statistics.
 *
 * Cancel.  The session sets cancel_requested, and signals the worker
 * (SIGINT, a statement cancel) only if the job is not past a commit; the
 * worker checks the flag in its pre-commit callback and before it begins
 * another transaction (c/worker_job.c), both under the slot's mutex.  So a
 * cancel either comes before the commit, and the transaction aborts (no
 * row, no NOTIFY), or after it, and changes nothing that committed.
 *
 * Waiting.  pg_background_wait_v2 moves the job's messages from the queue
 * into the entry's spill buffer (c/spill.c) until its ReadyForQuery, so a
 * job whose output is larger than its queue still ends; the bytes count
 * towards pg_background.max_session_memory, and the result is read from
 * the buffer later, in the same order.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#include "pg_background.h"
#include "pgbg_wait.h"

/* This session's statistics (pg_background_stats_v2, c/api_v2.c). */
PgbgSessionStats pgbg_stats;

/* A job is handed to the worker of slot: it has not run yet. */
void
pgbg_job_state_reset(PgbgPoolSlot *slot)
{
	SpinLockAcquire(&slot->mutex);
	memset(&slot->js, 0, sizeof(PgbgJobState));
	slot->js.status = PGBG_STATUS_RUNNING;
	slot->js.progress_pct = -1;
	SpinLockRelease(&slot->mutex);
}

/*
 * Copy the job's state from its worker's slot, while the session still has
 * the worker.  A job whose worker exited before it said how the job ended
 * was lost.
 */
void
pgbg_job_refresh(PgbgWorker *w)
{
	if (w->pw != NULL)
	{
		SpinLockAcquire(&w->pw->slot->mutex);
		w->js = w->pw->slot->js;
		SpinLockRelease(&w->pw->slot->mutex);
	}
	if (w->js.status == PGBG_STATUS_RUNNING &&
		(w->pw == NULL || pgbg_pool_worker_gone(w->pw)))
	{
		w->js.status = PGBG_STATUS_FAILED;
		w->js.ended_at = GetCurrentTimestamp();
		strlcpy(w->js.error, "background worker exited before the job ended",
				sizeof(w->js.error));
	}
}

/* Is the job still running (its worker has not ended it, nor died)? */
bool
pgbg_job_running(PgbgWorker *w)
{
	pgbg_job_refresh(w);
	return w->js.status == PGBG_STATUS_RUNNING;
}

/* See the top of the file. */
void
pgbg_job_request_cancel(PgbgWorker *w)
{
	PGPROC	   *worker = NULL;
	PgbgPoolSlot *slot;

	if (w->pw == NULL)
		return;					/* its worker has exited: nothing runs */
	slot = w->pw->slot;
	SpinLockAcquire(&slot->mutex);
	if (slot->js.status == PGBG_STATUS_RUNNING)
	{
		slot->js.cancel_requested = true;
		/* a worker that marked its slot gone may have exited: no signal */
		if (!slot->js.past_commit && slot->state == PGBG_POOL_BUSY)
			worker = slot->worker;
	}
	SpinLockRelease(&slot->mutex);
	if (worker != NULL)
		(void) kill(w->pid, SIGINT);
}

void
pgbg_stats_job_launched(void)
{
	pgbg_stats.launched++;
}

/*
 * Count how the job ended, once, if it has (the session forgets it, or
 * pg_background_stats_v2 sees it ended).  A job detached (or whose launch
 * rolled back) while it ran is counted nowhere: its end is not known.
 */
void
pgbg_stats_count_end(PgbgWorker *w)
{
	if (w->counted)
		return;
	pgbg_job_refresh(w);
	switch (w->js.status)
	{
		case PGBG_STATUS_RUNNING:
			return;
		case PGBG_STATUS_DONE:
			pgbg_stats.completed++;
			break;
		case PGBG_STATUS_FAILED:
			pgbg_stats.failed++;
			break;
		case PGBG_STATUS_CANCELED:
		case PGBG_STATUS_TIMED_OUT:
			pgbg_stats.canceled++;
			break;
	}
	if (w->js.ended_at > w->launched_at)
		pgbg_stats.total_ms += (double) (w->js.ended_at - w->launched_at) / 1000.0;
	pgbg_stats.ended++;
	w->counted = true;
}

/*
 * Move the job's queued messages into its spill buffer until its
 * ReadyForQuery; returns whether it came (or the queue ended).  Never
 * blocks.
 */
static bool
drain(PgbgWorker *w, bool keep)
{
	/* what the session holds, counted once; only w's buffer grows here */
	Size		held = keep ? pgbg_session_memory() : 0;

	while (!w->finished && w->mqh != NULL)
	{
		Size		nbytes;
		void	   *data;
		shm_mq_result res;
		Size		cap_before = w->spill_cap;

		/* at most one message beyond the limit */
		if (keep && held >= (Size) pgbg_max_session_memory_kb * 1024)
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("background job output would exceed the memory this session may keep"),
					 errdetail("Waiting keeps the job's output until it is read; pg_background.max_session_memory is %d kB.",
							   pgbg_max_session_memory_kb),
					 errhint("Read the result with pg_background_result_v2 instead of waiting for it.")));
		res = shm_mq_receive(w->mqh, &nbytes, &data, true);

		if (res == SHM_MQ_WOULD_BLOCK)
			return false;
		if (res == SHM_MQ_DETACHED)
		{
			/* the worker exited: what it said is all there is */
			w->finished = true;
			break;
		}
		if (nbytes > 0 && ((char *) data)[0] == 'Z')
			w->finished = true;
		if (keep)
		{
			pgbg_spill_append(w, data, nbytes);
			held += w->spill_cap - cap_before;
		}
	}
	return true;
}

/*
 * Forget the submitted jobs that have ended (their output is discarded by
 * the worker but for the ReadyForQuery): nothing of them stays in the
 * session.
 */
void
pgbg_session_collect(void)
{
	HTAB	   *jobs = pgbg_session_jobs();
	HASH_SEQ_STATUS status;
	PgbgWorker *w;

	if (jobs == NULL)
		return;
	hash_seq_init(&status, jobs);
	while ((w = hash_seq_search(&status)) != NULL)
	{
		if (!w->submitted || w->reading)
			continue;
		if (drain(w, false) || w->mqh == NULL)
		{
			pgbg_stats_count_end(w);
			w->read = true;
			pgbg_worker_forget(w);
		}
	}
}

/*
 * Wait up to timeout_ms (-1: no limit) for the job to end, keeping its
 * output for the result.  The wait is pg_background_result's: cancel,
 * statement_timeout, termination, a lost client and a deadlock with the
 * worker (40P01) end it; a session that ends meanwhile terminates the
 * job's worker.  The buffer may exceed pg_background.max_session_memory
 * by one message and its own growth (it doubles).
 */
bool
pgbg_job_wait(PgbgWorker *w, int timeout_ms)
{
	TimestampTz deadline = 0;
	TimestampTz next_check = 0;

	volatile bool ended = false;

	if (timeout_ms >= 0)
		deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
	pgbg_job_set_waiting(w);
	PG_TRY();
	{
		for (;;)
		{
			if (drain(w, !w->submitted))
			{
				ended = true;
				break;
			}
			if (deadline != 0 && GetCurrentTimestamp() >= deadline)
				break;
			pgbg_wait_for_worker(w->pid, &next_check, deadline);
		}
	}
	PG_FINALLY();
	{
		pgbg_job_set_waiting(NULL);
	}
	PG_END_TRY();
	return ended;
}
