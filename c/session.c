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
 * with it, and so is an entry whose result was being read when an error
 * left pg_background_result (result.c forgets it on the way out).  The
 * worker itself is autonomous and goes on to completion.
 *
 * Reading is re-entrant: user code that runs during a read (a domain CHECK,
 * a cast, an input function) may launch and read other jobs, but cannot
 * read or detach the job being read (it would consume or free the queue
 * under the outer read).  Who may name a job: the session that launched it,
 * as a user with the privileges of the launcher's current user (a job a
 * SECURITY DEFINER function launched is its owner's).
 *
 * Limits: at each launch the session copies out the output of jobs whose
 * worker has exited (spill.c), then checks pg_background.max_unread_jobs
 * and pg_background.max_session_memory.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/acl.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "pg_background.h"

PG_FUNCTION_INFO_V1(pg_background_detach);

static HTAB *workers = NULL;

/* The worker pg_background_result is reading from, if any. */
static PgbgWorker *reading_worker = NULL;

/* The job pg_background_wait_v2 (or cancel_v2_grace) waits for, if any. */
static PgbgWorker *waiting_job = NULL;

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
				PgbgPoolWorker *pw, const char *sql, Size queue_size,
				bool submitted, uint64 cookie)
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
	w->cookie = cookie;
	w->launched_at = GetCurrentTimestamp();
	w->submitted = submitted;
	w->finished = false;
	w->counted = false;
	memset(&w->js, 0, sizeof(w->js));
	w->js.status = PGBG_STATUS_RUNNING;
	w->js.progress_pct = -1;
	w->seg = seg;
	w->mqh = mqh;
	w->pw = pw;
	w->sql = sql;
	w->current_user_id = GetUserId();
	w->queue_size = queue_size;
	w->subid = GetCurrentSubTransactionId();
	w->read_subid = InvalidSubTransactionId;
	w->reading = false;
	w->read = false;
	w->detached = false;
	w->spill = NULL;
	w->spill_cap = w->spill_len = w->spill_pos = 0;
	pgbg_pool_job_started(pw);
	pgbg_stats_job_launched();
	return w;
}

HTAB *
pgbg_session_jobs(void)
{
	return workers;
}

/* Refuse a new job whose pid names the job a read in progress consumes. */
void
pgbg_worker_check_pid_free(int32 pid)
{
	PgbgWorker *w = pgbg_worker_lookup(pid);

	if (w != NULL && w->reading)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("background worker PID %d names a job whose result is being read", pid),
				 errdetail("The earlier worker with this PID has exited; the new one was stopped.")));
}

/*
 * The job pid names, for pg_background_result or pg_background_detach
 * (what): it must be this session's, the current user must have the
 * privileges of the launcher's current user, and it must not be the job a
 * read in progress is consuming.
 */
PgbgWorker *
pgbg_worker_find(int32 pid, const char *what)
{
	PgbgWorker *w = pgbg_worker_lookup(pid);

	if (w == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("PID %d is not attached to this session", pid),
				 errhint("A background worker's result can be read or detached once, by the session that launched it.")));
	if (!has_privs_of_role(GetUserId(), w->current_user_id))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for background worker with PID %d", pid),
				 errdetail("Only roles with the privileges of role \"%s\", which launched it, may %s it.",
						   GetUserNameFromId(w->current_user_id, false), what)));
	if (w->reading)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("background worker with PID %d is being read", pid),
				 errdetail("Code that runs while its result is read cannot %s it.", what)));
	return w;
}

/*
 * The job a v2 handle names (arguments 0 and 1 of fcinfo), for what (read,
 * wait for, ...): pgbg_worker_find's checks, and the cookie must be the
 * job's: a handle of a job read or detached before is refused, also when
 * its pid now runs a newer job of the session.
 */
PgbgWorker *
pgbg_job_find(FunctionCallInfo fcinfo, const char *what)
{
	int32		pid;
	int64		cookie;
	PgbgWorker *w;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("background job handle must not be null")));
	pid = PG_GETARG_INT32(0);
	cookie = PG_GETARG_INT64(1);
	w = pgbg_worker_lookup(pid);
	/* rights first: a wrong cookie must not tell whose the pid is */
	if (w != NULL && has_privs_of_role(GetUserId(), w->current_user_id) &&
		w->cookie != (uint64) cookie)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cookie mismatch for PID %d", pid),
				 errhint("The handle names a job of this session that was read or detached, or no job at all.")));
	return pgbg_worker_find(pid, what);
}

/*
 * Drop the session's hold on a worker.  Never raises an error: it also runs
 * from transaction-abort callbacks.
 */
void
pgbg_worker_forget(PgbgWorker *w)
{
	int32		pid = w->pid;

	pgbg_stats_count_end(w);
	if (w == reading_worker)
		reading_worker = NULL;
	if (w == waiting_job)
		waiting_job = NULL;
	/* Queue first: shm_mq_detach touches the segment's memory. */
	if (w->mqh != NULL)
		shm_mq_detach(w->mqh);
	if (w->seg != NULL)
		dsm_detach(w->seg);
	pgbg_spill_free(w);
	if (w->pw != NULL)
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
	if (reading_worker != NULL && reading_worker->pw != NULL)
		TerminateBackgroundWorker(reading_worker->pw->handle);
	if (waiting_job != NULL && waiting_job->pw != NULL)
		TerminateBackgroundWorker(waiting_job->pw->handle);
}

static void
register_exit_callback(void)
{
	static bool registered = false;

	if (!registered)
	{
		before_shmem_exit(terminate_reading_worker, (Datum) 0);
		registered = true;
	}
}

/*
 * A wait for w begins (NULL: it ended): a session that ends meanwhile
 * terminates w's worker, as for a read.
 */
void
pgbg_job_set_waiting(PgbgWorker *w)
{
	register_exit_callback();
	waiting_job = w;
}

/*
 * A read of w begins; returns the read it interrupts (user code running
 * during a read may read another job), to pass to pgbg_worker_end_reading.
 */
PgbgWorker *
pgbg_worker_start_reading(PgbgWorker *w)
{
	PgbgWorker *previous = reading_worker;

	register_exit_callback();
	w->reading = true;
	w->read_subid = GetCurrentSubTransactionId();
	reading_worker = w;
	return previous;
}

/* The read is over (its job may be forgotten already). */
void
pgbg_worker_end_reading(PgbgWorker *previous)
{
	reading_worker = previous;
}

/* The memory the session keeps for its jobs and workers. */
Size
pgbg_session_memory(void)
{
	HASH_SEQ_STATUS status;
	PgbgWorker *w;
	Size		held = pgbg_pool_memory();

	if (workers == NULL)
		return held;
	hash_seq_init(&status, workers);
	while ((w = hash_seq_search(&status)) != NULL)
		held += pgbg_job_memory(w);
	return held;
}

/*
 * pg_background.max_workers: jobs running, not those waiting to be read;
 * detached ones and those whose launch rolled back included (counted by
 * their workers).
 */
static void
check_running_jobs(void)
{
	int			running = pgbg_pool_running_jobs();

	if (running >= pgbg_max_workers)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many background workers"),
				 errdetail("The session has %d background jobs running; pg_background.max_workers is %d.",
						   running, pgbg_max_workers),
				 errhint("Wait for running jobs to end, or raise pg_background.max_workers.")));
}

/*
 * Forget ended submitted jobs, copy out exited workers' output, then check
 * the session's limits for a launch of a job segment of segsize and a
 * queue of queue_size (no new queue if an idle worker of ours can take the
 * job).
 */
void
pgbg_session_check_limits(Size segsize, Size queue_size,
						  const PgbgIdentity *identity)
{
	Size		held;
	Size		new_bytes;
	Size		max = (Size) pgbg_max_session_memory_kb * 1024;

	ensure_table();
	pgbg_session_collect();
	pgbg_spill_exited(workers);
	pgbg_pool_prune();
	check_running_jobs();
	new_bytes = segsize + (pgbg_pool_can_reuse(queue_size, identity) ? 0 :
						   PGBG_POOL_QUEUE_OFFSET + queue_size);
	if (hash_get_num_entries(workers) >= pgbg_max_unread_jobs)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many unread background jobs in this session"),
				 errdetail("The session has %ld jobs launched and not yet read or detached; pg_background.max_unread_jobs is %d.",
						   hash_get_num_entries(workers), pgbg_max_unread_jobs),
				 errhint("Read or detach earlier jobs first, or ask a superuser to raise pg_background.max_unread_jobs.")));
	for (int attempt = 0;; attempt++)
	{
		held = pgbg_session_memory();
		if (held + new_bytes <= max)
			return;
		/* idle workers' queues are the session's to give back */
		if (attempt > 0 || !pgbg_pool_release_idle(queue_size, identity))
			break;
	}
	ereport(ERROR,
			(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
			 errmsg("background job would exceed the memory this session may keep"),
			 errdetail("The session keeps %zu kB for its background jobs, the launch needs %zu kB more; pg_background.max_session_memory is %d kB.",
					   held / 1024, (new_bytes + 1023) / 1024, pgbg_max_session_memory_kb),
			 errhint("Read or detach earlier jobs, use a smaller queue_size, or ask a superuser to raise pg_background.max_session_memory.")));
}

/*
 * A worker between two jobs: jobs its job launched are forgotten (they run
 * on, detached) and its own workers leave, so nothing of one job's
 * launches reaches the next.
 */
void
pgbg_session_reset(void)
{
	HASH_SEQ_STATUS status;
	PgbgWorker *w;

	if (workers != NULL)
	{
		hash_seq_init(&status, workers);
		while ((w = hash_seq_search(&status)) != NULL)
		{
			w->detached = true;
			pgbg_worker_forget(w);
		}
	}
	pgbg_pool_retire_all();
	memset(&pgbg_stats, 0, sizeof(pgbg_stats));
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
		/*
		 * Removing the entry just returned is allowed during a seq scan.  A
		 * read in progress forgets its job itself when an error leaves it;
		 * an aborting subtransaction of user code it runs does not.
		 */
		if (top ? (w->subid != InvalidSubTransactionId || w->reading)
			: (w->subid == subid && !w->reading) ||
			(w->reading && w->read_subid == subid))
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
			{
				if (w->subid == mySubid)
					w->subid = parentSubid;
				if (w->read_subid == mySubid)
					w->read_subid = parentSubid;
			}
			break;
		default:
			break;
	}
}

Datum
pg_background_detach(PG_FUNCTION_ARGS)
{
	int32		pid;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("PID must not be null")));
	pid = PG_GETARG_INT32(0);
	pgbg_job_detach(pgbg_worker_find(pid, "detach"));
	PG_RETURN_VOID();
}

/*
 * Forget a job, discarding its output.  One that has ended (a wait saw its
 * ReadyForQuery) frees its worker for the next job as a read does.
 */
void
pgbg_job_detach(PgbgWorker *w)
{
	if (w->finished)
		w->read = true;
	else
		w->detached = true;
	pgbg_worker_forget(w);
}
