/*
 * pool.c
 *		The session's own workers, kept for reuse: a launch hands its job to
 *		an idle worker of this session when there is one, and starts a new
 *		worker otherwise.  Starting a worker (a fork by the postmaster,
 *		InitPostgres, and its exit afterwards) is most of the cost of a short
 *		job; a reused worker only attaches the job's segment and restores
 *		the session's settings.
 *
 * Each worker has a control segment (PgbgPoolSlot, pg_background.h), made
 * by the session, through which the session hands it one job after another
 * (the handle of the job's own segment), and which holds the job's queue.
 * After each job the worker recovers from its error if any, resets its
 * session state (DISCARD ALL, see worker.c) and becomes idle; it exits when
 * idle for pg_background.worker_idle_timeout, when that is zero, when it
 * can no longer report through a queue, and when the session ends.
 * Workers only ever serve the session that started them: same database,
 * same authenticated user.
 *
 * A worker is reused only when no job entry of the session names it (the
 * session knows jobs by worker pid), i.e. its last result was read or
 * detached; one whose job entry went with an aborted transaction is retired
 * (pgbg_pool_job_ended).
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/spin.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pg_background.h"

/* How long a launch waits for a worker whose last result it has read. */
#define FINISHING_WAIT_MS	100

int			pgbg_worker_idle_timeout_ms = 1000;

static PgbgPoolWorker *pool = NULL;

/* Tell a worker to exit once it is idle (now, if it is). */
static void
retire(PgbgPoolWorker *pw)
{
	PGPROC	   *worker;

	SpinLockAcquire(&pw->slot->mutex);
	pw->slot->retire = true;
	worker = pw->slot->worker;
	SpinLockRelease(&pw->slot->mutex);
	if (worker != NULL)
		SetLatch(&worker->procLatch);
}

/* The session is ending: so are its workers. */
static void
retire_all(int code, Datum arg)
{
	for (PgbgPoolWorker *pw = pool; pw != NULL; pw = pw->next)
		retire(pw);
}

/* Drop the records of workers that have exited and no job names. */
static void
prune(void)
{
	PgbgPoolWorker **link = &pool;

	while (*link != NULL)
	{
		PgbgPoolWorker *pw = *link;
		pid_t		pid;

		if (pw->jobs == 0 &&
			GetBackgroundWorkerPid(pw->handle, &pid) == BGWH_STOPPED)
		{
			*link = pw->next;
			dsm_detach(pw->ctl);
			pfree(pw->handle);
			pfree(pw);
		}
		else
			link = &pw->next;
	}
}

/*
 * The job's queue, in the worker's control segment, with us as receiver.
 * Only while the worker is idle (or not yet started): then it is detached
 * from the queue it had, and attaches to this one once it has the job.
 */
static shm_mq *
make_queue(PgbgPoolSlot *slot, Size queue_size)
{
	shm_mq	   *mq = shm_mq_create(PGBG_POOL_QUEUE(slot), queue_size);

	shm_mq_set_receiver(mq, MyProc);
	return mq;
}

static bool
is_idle(PgbgPoolWorker *pw)
{
	bool		idle;

	SpinLockAcquire(&pw->slot->mutex);
	idle = pw->slot->state == PGBG_POOL_IDLE && !pw->slot->retire;
	SpinLockRelease(&pw->slot->mutex);
	return idle;
}

/* Hand job to pw if it is idle and its queue area is large enough. */
static bool
try_assign(PgbgPoolWorker *pw, dsm_handle job, Size queue_size)
{
	PGPROC	   *worker = NULL;
	bool		ok = false;
	pid_t		pid;

	if (pw->jobs > 0 || pw->slot->queue_area < queue_size ||
		GetBackgroundWorkerPid(pw->handle, &pid) != BGWH_STARTED ||
		!is_idle(pw))
		return false;
	pw->mq = make_queue(pw->slot, queue_size);
	/* It may have left in the meantime: then the queue goes unused. */
	SpinLockAcquire(&pw->slot->mutex);
	if (pw->slot->state == PGBG_POOL_IDLE && !pw->slot->retire)
	{
		pw->slot->state = PGBG_POOL_BUSY;
		pw->slot->job = job;
		worker = pw->slot->worker;
		ok = true;
	}
	SpinLockRelease(&pw->slot->mutex);
	if (worker != NULL)
		SetLatch(&worker->procLatch);
	pw->reused = ok;
	return ok;
}

/*
 * A worker whose result we have read is resetting itself and will be idle
 * in a moment (it sets our latch then): wait for that, briefly.
 */
static bool
assign_when_idle(PgbgPoolWorker *pw, dsm_handle job, Size queue_size)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   FINISHING_WAIT_MS);

	for (;;)
	{
		int			state;
		long		left;

		if (try_assign(pw, job, queue_size))
			return true;
		SpinLockAcquire(&pw->slot->mutex);
		state = pw->slot->state;
		SpinLockRelease(&pw->slot->mutex);
		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (state == PGBG_POOL_GONE || left <= 0)
			return false;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * A new worker with its control segment (room for a queue of queue_size),
 * its first job and queue already set.
 */
static PgbgPoolWorker *
start_worker(dsm_handle job, Size queue_size)
{
	dsm_segment *ctl = dsm_create(PGBG_POOL_QUEUE_OFFSET + queue_size, 0);
	PgbgPoolSlot *slot = dsm_segment_address(ctl);
	PgbgPoolWorker *pw;
	BackgroundWorkerHandle *handle;
	shm_mq	   *mq;

	dsm_pin_mapping(ctl);
	SpinLockInit(&slot->mutex);
	slot->state = PGBG_POOL_BUSY;
	slot->job = job;
	slot->retire = false;
	slot->worker = NULL;
	slot->session = MyProc;
	slot->queue_area = queue_size;
	mq = make_queue(slot, queue_size);

	PG_TRY();
	{
		/* The handle lives as long as the record: TopMemoryContext. */
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		handle = pgbg_register_worker(dsm_segment_handle(ctl));
		MemoryContextSwitchTo(old);
	}
	PG_CATCH();
	{
		dsm_detach(ctl);
		PG_RE_THROW();
	}
	PG_END_TRY();

	pw = MemoryContextAllocZero(TopMemoryContext, sizeof(PgbgPoolWorker));
	pw->ctl = ctl;
	pw->slot = slot;
	pw->handle = handle;
	pw->mq = mq;
	pw->reused = false;
	pw->next = pool;
	pool = pw;
	return pw;
}

/*
 * Give the job whose segment is job to a worker: an idle one of this
 * session (unless fresh), or a new one.  The returned record is the pool's;
 * the caller counts the job in with pgbg_pool_job_started.
 */
PgbgPoolWorker *
pgbg_pool_start_job(dsm_handle job, Size queue_size, bool fresh)
{
	static bool registered = false;

	if (!registered)
	{
		before_shmem_exit(retire_all, (Datum) 0);
		registered = true;
	}
	prune();
	if (pgbg_worker_idle_timeout_ms > 0 && !fresh)
	{
		for (PgbgPoolWorker *pw = pool; pw != NULL; pw = pw->next)
			if (try_assign(pw, job, queue_size))
				return pw;
		for (PgbgPoolWorker *pw = pool; pw != NULL; pw = pw->next)
			if (pw->finishing && pw->jobs == 0 &&
				pw->slot->queue_area >= queue_size &&
				assign_when_idle(pw, job, queue_size))
				return pw;
	}
	return start_worker(job, queue_size);
}

/*
 * The job handed to pw will not run (cancelled, or the worker never came):
 * never hand pw anything again, and stop it.
 */
void
pgbg_pool_discard(PgbgPoolWorker *pw)
{
	SpinLockAcquire(&pw->slot->mutex);
	pw->slot->state = PGBG_POOL_GONE;
	pw->slot->retire = true;	/* an IDLE set later turns into GONE */
	SpinLockRelease(&pw->slot->mutex);
	TerminateBackgroundWorker(pw->handle);
}

/* A job entry names pw from now on. */
void
pgbg_pool_job_started(PgbgPoolWorker *pw)
{
	pw->jobs++;
	pw->finishing = false;
}

/*
 * A job entry naming pw is gone: its whole result was read (the worker is
 * then about to become idle), it was detached, or the (sub)transaction that
 * launched it aborted.  In that last case the session's code may still hold
 * the pid without knowing the job is forgotten: the worker is retired after
 * its job, so that the pid never names another job of this session.
 */
void
pgbg_pool_job_ended(PgbgPoolWorker *pw, PgbgJobEnd how)
{
	Assert(pw->jobs > 0);
	pw->jobs--;
	if (how == PGBG_JOB_READ)
		pw->finishing = true;
	else if (how == PGBG_JOB_ABORTED)
		retire(pw);
}
