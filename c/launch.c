/*
 * launch.c
 *		pg_background_launch(): lay out the DSM segment, register the dynamic
 *		background worker, and return once the worker is attached to its queue.
 *
 * Waiting for the attach (not just for the worker's start) is what makes
 * pg_background_detach(pg_background_launch(...)) safe: from then on the
 * worker holds its own reference to the segment, so the launcher may drop
 * its own at any time without the worker finding the segment gone.
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/shm_toc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "storage/latch.h"
#include "utils/timestamp.h"

#include "pgbg_compat.h"

#include "pg_background.h"
#include "pgbg_go.h"

/* The one magic block of pg_background.so. */
PG_MODULE_MAGIC;

/*
 * pg_background.worker_slot_wait: how long a launch waits for a worker
 * slot before failing.  Exited workers hold their slots until the
 * postmaster reaps them, which lags behind under load (on a busy machine
 * dozens of exited workers were seen waiting to be reaped), so a short wait
 * turns those transient failures into successes.
 */
static int	worker_slot_wait_ms = 200;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("pg_background.worker_slot_wait",
							"How long pg_background_launch waits for a free worker slot.",
							"Zero fails at once when max_worker_processes slots are all taken.",
							&worker_slot_wait_ms, 200, 0, 60000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_background.worker_idle_timeout",
							"How long a worker stays, idle, for the next launch of its session.",
							"A session hands its next job to its own idle worker instead of "
							"starting a new one.  Zero: every worker exits after its job.",
							&pgbg_worker_idle_timeout_ms, 1000, 0, 3600 * 1000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	MarkGUCPrefixReserved("pg_background");
}

PG_FUNCTION_INFO_V1(pg_background_launch);

static void
check_launch_args(FunctionCallInfo fcinfo, text **sql, int32 *queue_size)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("SQL string must not be null")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("queue size must not be null")));

	*sql = PG_GETARG_TEXT_PP(0);
	*queue_size = PG_GETARG_INT32(1);

	if (VARSIZE_ANY_EXHDR(*sql) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("SQL string must not be empty")));
	if (*queue_size < 0 || (Size) *queue_size < shm_mq_minimum_size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("queue size must be at least %zu bytes",
						shm_mq_minimum_size)));
	if ((Size) *queue_size > PGBG_MAX_QUEUE_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("queue size must be at most %zu bytes",
						PGBG_MAX_QUEUE_SIZE)));
}

/*
 * Create and fill the segment.  The caller owns the returned segment; its
 * mapping is pinned so it outlives the current transaction (a worker is
 * autonomous: its result may be read in a later transaction).
 */
static dsm_segment *
setup_segment(const char *sql, Size sql_len, Size queue_size,
			  const char **sql_out, PgbgFixed **fixed_out)
{
	shm_toc_estimator e;
	Size		guc_len = EstimateGUCStateSpace();
	Size		segsize;
	dsm_segment *seg;
	shm_toc    *toc;
	PgbgFixed  *fixed;
	char	   *sqlcopy;
	char	   *gucstate;

	shm_toc_initialize_estimator(&e);
	shm_toc_estimate_chunk(&e, sizeof(PgbgFixed));
	shm_toc_estimate_chunk(&e, sql_len + 1);
	shm_toc_estimate_chunk(&e, guc_len);
	shm_toc_estimate_keys(&e, PGBG_NKEYS);
	segsize = shm_toc_estimate(&e);

	seg = dsm_create(segsize, 0);
	dsm_pin_mapping(seg);
	toc = shm_toc_create(PGBG_MAGIC, dsm_segment_address(seg), segsize);

	fixed = shm_toc_allocate(toc, sizeof(PgbgFixed));
	fixed->database_id = MyDatabaseId;
	fixed->authenticated_user_id = GetAuthenticatedUserId();
	GetUserIdAndSecContext(&fixed->current_user_id, &fixed->sec_context);
	namestrcpy(&fixed->database, get_database_name(MyDatabaseId));
	fixed->launcher_pid = MyProcPid;
	fixed->queue_size = queue_size;
	fixed->worker_pid = 0;
	shm_toc_insert(toc, PGBG_KEY_FIXED, fixed);

	sqlcopy = shm_toc_allocate(toc, sql_len + 1);
	memcpy(sqlcopy, sql, sql_len);
	sqlcopy[sql_len] = '\0';
	shm_toc_insert(toc, PGBG_KEY_SQL, sqlcopy);

	gucstate = shm_toc_allocate(toc, guc_len);
	SerializeGUCState(guc_len, gucstate);
	shm_toc_insert(toc, PGBG_KEY_GUC, gucstate);

	*sql_out = sqlcopy;
	*fixed_out = fixed;
	return seg;
}

/* Start a worker that takes its jobs from the control segment ctl. */
BackgroundWorkerHandle *
pgbg_register_worker(dsm_handle ctl)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	TimestampTz deadline;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_background");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pg_background_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_background by PID %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_background");
	worker.bgw_main_arg = UInt32GetDatum(ctl);
	/* The postmaster signals us (SIGUSR1 -> our latch) on start and stop. */
	worker.bgw_notify_pid = MyProcPid;

	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   worker_slot_wait_ms);
	while (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		if (GetCurrentTimestamp() >= deadline)
			ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not register background process"),
				 errhint("You may need to increase max_worker_processes.")));
		/* Nothing signals a freed slot to us: poll, interruptibly. */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 5L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	return handle;
}

/*
 * Our end of the job's queue.  Its detach callback belongs to the segment
 * the queue lives in, the worker's control segment: at backend exit,
 * dsm_backend_shutdown detaches the newest segments first, and the job's
 * segment may be older than the control segment.  Forgetting a job detaches
 * the queue explicitly (session.c).
 */
static shm_mq_handle *
attach_queue(PgbgPoolWorker *pw)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	shm_mq_handle *mqh = shm_mq_attach(pw->mq, pw->ctl, NULL);

	MemoryContextSwitchTo(old);
	return mqh;
}

/*
 * Wait until the worker is attached to the queue as sender, or has stopped
 * without attaching.  (shm_mq_wait_for_attach would report a worker that
 * attached, ran a short job and detached before we looked as a failure: a
 * reused worker is that fast.)  The worker sets our latch when it attaches,
 * the postmaster (bgw_notify_pid) when it stops.
 */
static bool
wait_for_sender(PgbgPoolWorker *pw)
{
	for (;;)
	{
		pid_t		pid;
		BgwHandleStatus status;

		if (shm_mq_get_sender(pw->mq) != NULL)
			return true;
		status = GetBackgroundWorkerPid(pw->handle, &pid);
		if (status != BGWH_STARTED && status != BGWH_NOT_YET_STARTED)
			return shm_mq_get_sender(pw->mq) != NULL;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH, 0,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

Datum
pg_background_launch(PG_FUNCTION_ARGS)
{
	text	   *sql;
	int32		queue_size;
	dsm_segment *seg;
	shm_mq_handle *volatile mqh;	/* set in PG_TRY, read in PG_CATCH */
	PgbgPoolWorker *volatile pw;
	const char *sql_in_seg;
	PgbgFixed  *fixed;
	pid_t		pid;

	check_launch_args(fcinfo, &sql, &queue_size);

	/* dsm_create keeps its bookkeeping in TopMemoryContext by itself. */
	seg = setup_segment(VARDATA_ANY(sql), VARSIZE_ANY_EXHDR(sql),
						(Size) queue_size, &sql_in_seg, &fixed);

	/*
	 * Hand the job to a worker, which makes its queue with us as receiver,
	 * and attach.  If anything fails, the error path detaches the segment
	 * and the queue.  The queue handle lives as long as the session
	 * remembers the job, hence TopMemoryContext.
	 */
	pw = NULL;
	mqh = NULL;
	PG_TRY();
	{
		pw = pgbg_pool_start_job(dsm_segment_handle(seg), queue_size, false);
		mqh = attach_queue(pw);
		/* A new worker takes milliseconds to start: load Go meanwhile. */
		if (!pw->reused)
			pgbg_go_preload();
		if (!wait_for_sender(pw) && pw->reused)
		{
			/*
			 * A reused worker died while idle: a new one takes the job.  The
			 * dead one's record may be freed on the way (prune).
			 */
			shm_mq_detach(mqh);
			mqh = NULL;
			pw = NULL;
			pw = pgbg_pool_start_job(dsm_segment_handle(seg), queue_size, true);
			mqh = attach_queue(pw);
			(void) wait_for_sender(pw);
		}
		if (shm_mq_get_sender(pw->mq) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
					 errmsg("could not start background process"),
					 errhint("More details may be available in the server log.")));
	}
	PG_CATCH();
	{
		/*
		 * Cancelled, or no worker.  The worker is stopped; one that attached
		 * in the meantime has begun the job (a reused worker begins at
		 * once), which then rolls back unless it committed already, as a
		 * cancelled query's commit can have happened.
		 */
		if (pw != NULL)
			pgbg_pool_discard(pw);
		if (mqh != NULL)
			shm_mq_detach(mqh);
		dsm_detach(seg);
		PG_RE_THROW();
	}
	PG_END_TRY();

	/* From now on the queue notices the worker's death by itself. */
	shm_mq_set_handle(mqh, pw->handle);

	/* The worker may have finished already: its pid stays in the segment. */
	pid = fixed->worker_pid;
	if (pid <= 0)
		elog(ERROR, "background worker attached without reporting its PID");
	pgbg_worker_add(pid, seg, mqh, pw, sql_in_seg);
	PG_RETURN_INT32(pid);
}
