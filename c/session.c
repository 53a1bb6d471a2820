/*
 * session.c
 *		The workers this session launched and has not yet read or detached,
 *		and pg_background_detach().
 *
 * Entries live in TopMemoryContext, keyed by worker pid (a worker runs one
 * job at a time, and is given another only once no entry names it, see
 * pool.c).  An entry holds the session's only reference to the job's DSM
 * segment: forgetting an entry detaches the queue (the worker's further
 * output is then discarded, see pqmq.c) and the segment (destroyed once the
 * worker detaches as well).
 *
 * Transactions: an entry made in a (sub)transaction that aborts is forgotten
 * with it, and so is an entry whose result was being read when the error
 * struck.  The worker itself is autonomous and goes on to completion.
 */
#include "postgres.h"

#include "access/xact.h"
#include "storage/ipc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "pg_background.h"

PG_FUNCTION_INFO_V1(pg_background_detach);

static HTAB *workers = NULL;

/* The worker pg_background_result is reading from, if any. */
static PgbgWorker *reading_worker = NULL;

static void pgbg_xact_callback(XactEvent event, void *arg);
static void pgbg_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
								  SubTransactionId parentSubid, void *arg);

static void
ensure_table(void)
{
	HASHCTL		ctl;

	if (workers != NULL)
		return;
	ctl.keysize = sizeof(int32);
	ctl.entrysize = sizeof(PgbgWorker);
	ctl.hcxt = TopMemoryContext;
	workers = hash_create("pg_background workers", 16, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	RegisterXactCallback(pgbg_xact_callback, NULL);
	RegisterSubXactCallback(pgbg_subxact_callback, NULL);
}

PgbgWorker *
pgbg_worker_lookup(int32 pid)
{
	if (workers == NULL)
		return NULL;
	return hash_search(workers, &pid, HASH_FIND, NULL);
}

/*
 * Remember a freshly launched worker.  A pid can only collide with an entry
 * whose worker has exited without its result ever being read or detached
 * (the kernel reused the pid); that result can no longer be named, so it is
 * dropped with a warning.
 */
PgbgWorker *
pgbg_worker_add(int32 pid, dsm_segment *seg, shm_mq_handle *mqh,
				PgbgPoolWorker *pw, const char *sql)
{
	PgbgWorker *w;
	bool		found;

	ensure_table();
	w = hash_search(workers, &pid, HASH_FIND, NULL);
	if (w != NULL)
	{
		ereport(WARNING,
				(errmsg("discarding the unread result of an earlier background worker with PID %d", pid)));
		pgbg_worker_forget(w);
	}
	w = hash_search(workers, &pid, HASH_ENTER, &found);
	w->seg = seg;
	w->mqh = mqh;
	w->pw = pw;
	w->sql = sql;
	w->subid = GetCurrentSubTransactionId();
	w->reading = false;
	w->read = false;
	w->detached = false;
	pgbg_pool_job_started(pw);
	return w;
}

/*
 * Drop the session's hold on a worker.  Never raises an error: it also runs
 * from transaction-abort callbacks.
 */
void
pgbg_worker_forget(PgbgWorker *w)
{
	int32		pid = w->pid;

	if (w == reading_worker)
		reading_worker = NULL;
	/* Queue first: shm_mq_detach touches the segment's memory. */
	if (w->mqh != NULL)
		shm_mq_detach(w->mqh);
	dsm_detach(w->seg);
	pgbg_pool_job_ended(w->pw, w->read ? PGBG_JOB_READ :
						w->detached ? PGBG_JOB_DETACHED : PGBG_JOB_ABORTED);
	hash_search(workers, &pid, HASH_REMOVE, NULL);
}

/*
 * The session is ending while it waits for a worker's result: terminate
 * that worker, as the session's own query would be.  Runs before
 * ShutdownPostgres aborts the transaction (before_shmem_exit is LIFO).
 */
static void
terminate_reading_worker(int code, Datum arg)
{
	if (reading_worker != NULL)
		TerminateBackgroundWorker(reading_worker->pw->handle);
}

void
pgbg_worker_start_reading(PgbgWorker *w)
{
	static bool registered = false;

	if (!registered)
	{
		before_shmem_exit(terminate_reading_worker, (Datum) 0);
		registered = true;
	}
	w->reading = true;
	reading_worker = w;
}

/* Forget every entry matching the predicate of an aborting (sub)transaction. */
static void
forget_aborted(bool top, SubTransactionId subid)
{
	HASH_SEQ_STATUS status;
	PgbgWorker *w;

	if (workers == NULL)
		return;
	hash_seq_init(&status, workers);
	while ((w = hash_seq_search(&status)) != NULL)
	{
		/* Removing the entry just returned is allowed during a seq scan. */
		if (w->reading || (top ? w->subid != InvalidSubTransactionId
						   : w->subid == subid))
			pgbg_worker_forget(w);
	}
}

static void
pgbg_xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS status;
	PgbgWorker *w;

	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			forget_aborted(true, InvalidSubTransactionId);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			/* Launches of a committed transaction belong to the session. */
			if (workers == NULL)
				break;
			hash_seq_init(&status, workers);
			while ((w = hash_seq_search(&status)) != NULL)
				w->subid = InvalidSubTransactionId;
			break;
		default:
			break;
	}
}

static void
pgbg_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					  SubTransactionId parentSubid, void *arg)
{
	HASH_SEQ_STATUS status;
	PgbgWorker *w;

	switch (event)
	{
		case SUBXACT_EVENT_ABORT_SUB:
			forget_aborted(false, mySubid);
			break;
		case SUBXACT_EVENT_COMMIT_SUB:
			if (workers == NULL)
				break;
			hash_seq_init(&status, workers);
			while ((w = hash_seq_search(&status)) != NULL)
				if (w->subid == mySubid)
					w->subid = parentSubid;
			break;
		default:
			break;
	}
}

Datum
pg_background_detach(PG_FUNCTION_ARGS)
{
	int32		pid;
	PgbgWorker *w;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("PID must not be null")));
	pid = PG_GETARG_INT32(0);
	w = pgbg_worker_lookup(pid);
	if (w == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("PID %d is not attached to this session", pid),
				 errhint("Only a background worker launched by this session, and not yet read or detached, can be named.")));
	w->detached = true;
	pgbg_worker_forget(w);
	PG_RETURN_VOID();
}
