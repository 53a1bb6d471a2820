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
 * idle for pg_background.worker_idle_timeout, when that is zero, when its
 * job rules reuse out (worker_reset.c), and when the session ends.
 * Workers only ever serve the session that started them (same database,
 * same authenticated user), and only the identity their first job had:
 * session user, role, current user, no security context (PgbgIdentity).
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

/*
 * Drop the records of workers that have left (or are leaving: their own
 * mapping of the control segment keeps it until they exit) and no job
 * names.
 */
void
pgbg_pool_prune(void)
{
	PgbgPoolWorker **link = &pool;

	while (*link != NULL)
	{
		PgbgPoolWorker *pw = *link;

		if (pw->jobs == 0 && pgbg_pool_worker_gone(pw))
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
	pgbg_job_state_reset(slot);
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

/* Could pw take a job of this size and identity, once idle? */
static bool
fits(PgbgPoolWorker *pw, Size queue_size, const PgbgIdentity *identity)
{
	return pw->jobs == 0 && pw->slot->queue_area >= queue_size &&
		identity->sec_context == 0 &&
		memcmp(&pw->identity, identity, sizeof(PgbgIdentity)) == 0;
}

/* Hand job to pw if it is idle and fits. */
static bool
try_assign(PgbgPoolWorker *pw, dsm_handle job, Size queue_size,
		   const PgbgIdentity *identity)
{
	PGPROC	   *worker = NULL;
	bool		ok = false;
	pid_t		pid;

	if (!fits(pw, queue_size, identity) ||
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
assign_when_idle(PgbgPoolWorker *pw, dsm_handle job, Size queue_size,
				 const PgbgIdentity *identity)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   FINISHING_WAIT_MS);

	for (;;)
	{
		int			state;
		long		left;

		if (try_assign(pw, job, queue_size, identity))
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
start_worker(dsm_handle job, Size queue_size, const PgbgIdentity *identity)
{
	dsm_segment *ctl;
	PgbgPoolSlot *slot;
	PgbgPoolWorker *pw;
	BackgroundWorkerHandle *handle;
	shm_mq	   *mq;

	/* within pg_background.max_workers_per_role (slots.c) */
	pgbg_check_role_workers();
	ctl = dsm_create(PGBG_POOL_QUEUE_OFFSET + queue_size, 0);
	slot = dsm_segment_address(ctl);
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
	pw->identity = *identity;
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
pgbg_pool_start_job(dsm_handle job, Size queue_size,
					const PgbgIdentity *identity, bool fresh)
{
	static bool registered = false;

	if (!registered)
	{
		before_shmem_exit(retire_all, (Datum) 0);
		registered = true;
	}
	pgbg_pool_prune();
	if (pgbg_effective_idle_timeout() > 0 && !fresh)
	{
		for (PgbgPoolWorker *pw = pool; pw != NULL; pw = pw->next)
			if (try_assign(pw, job, queue_size, identity))
				return pw;
		for (PgbgPoolWorker *pw = pool; pw != NULL; pw = pw->next)
			if (pw->finishing && fits(pw, queue_size, identity) &&
				assign_when_idle(pw, job, queue_size, identity))
				return pw;
	}
	return start_worker(job, queue_size, identity);
}

/*
 * Has pw left (or begun to), so that the output of its job is all in the
 * queue?  A worker marks its slot gone before it exits.
 */
bool
pgbg_pool_worker_gone(PgbgPoolWorker *pw)
{
	PgbgPoolState state;
	pid_t		pid;

	SpinLockAcquire(&pw->slot->mutex);
	state = pw->slot->state;
	SpinLockRelease(&pw->slot->mutex);
	return state == PGBG_POOL_GONE ||
		GetBackgroundWorkerPid(pw->handle, &pid) == BGWH_STOPPED;
}

/* Would a job of this size and identity go to a worker we have? */
bool
pgbg_pool_can_reuse(Size queue_size, const PgbgIdentity *identity)
{
	if (pgbg_effective_idle_timeout() <= 0)
		return false;
	for (PgbgPoolWorker *pw = pool; pw != NULL; pw = pw->next)
		if (fits(pw, queue_size, identity) && (pw->finishing || is_idle(pw)))
			return true;
	return false;
}

/* The shared memory our workers' control segments (and queues) take. */
Size
pgbg_pool_memory(void)
{
	Size		total = 0;

	for (PgbgPoolWorker *pw = pool; pw != NULL; pw = pw->next)
		total += dsm_segment_map_length(pw->ctl);
	return total;
}

/*
 * Let go of the workers no job names that are idle or about to be (their
 * last result was read), but those a job of this size and identity could
 * go to (when workers are reused at all): they leave, and we drop their control segments now.  Returns
 * whether there was any.
 */
bool
pgbg_pool_release_idle(Size queue_size, const PgbgIdentity *identity)
{
	PgbgPoolWorker **link = &pool;
	bool		any = false;

	while (*link != NULL)
	{
		PgbgPoolWorker *pw = *link;

		if (pw->jobs == 0 && (pw->finishing || is_idle(pw)) &&
			!(pgbg_effective_idle_timeout() > 0 && fits(pw, queue_size, identity)))
		{
			retire(pw);
			*link = pw->next;
			dsm_detach(pw->ctl);
			pfree(pw->handle);
			pfree(pw);
			any = true;
		}
		else
			link = &pw->next;
	}
	return any;
}

/*
 * Jobs of ours running now, whether or not the session still names them
 * (detached, or launched by a rolled-back transaction).
 */
int
pgbg_pool_running_jobs(void)
{
	int			running = 0;

	for (PgbgPoolWorker *pw = pool; pw != NULL; pw = pw->next)
	{
		bool		busy;

		SpinLockAcquire(&pw->slot->mutex);
		busy = pw->slot->state == PGBG_POOL_BUSY &&
			pw->slot->js.status == PGBG_STATUS_RUNNING;
		SpinLockRelease(&pw->slot->mutex);
		if (busy && !pgbg_pool_worker_gone(pw))
			running++;
	}
	return running;
}

/* Every worker of ours leaves once idle (a worker's own session resets). */
void
pgbg_pool_retire_all(void)
{
	retire_all(0, (Datum) 0);
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
	else if (how == PGBG_JOB_ABORTED || how == PGBG_JOB_SPILLED)
		retire(pw);
}
