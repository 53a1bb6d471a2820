/*
 * launch.c
 *		pg_background_launch() (and the v2 launches, c/api_v2.c): lay out the
 *		DSM segment, hand the job to a worker, and return once the worker is
 *		attached to its queue.
 *
 * Waiting for the attach (not just for the worker's start) is what makes
 * pg_background_detach(pg_background_launch(...)) safe: from then on the
 * worker holds its own reference to the segment, so the launcher may drop
 * its own at any time without the worker finding the segment gone.
 *
 * Before anything is allocated the launch checks what it may take: not
 * from inside a security-restricted operation, within the session's
 * limits (session.c) and, for a new worker, the role's (slots.c).
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/shm_toc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "pgbg_compat.h"

#include "pg_background.h"
#include "pgbg_go.h"

PG_FUNCTION_INFO_V1(pg_background_launch);

/* A queue_size omitted (0, the default) or NULL is pg_background.default_queue_size. */
static void
check_launch_args(FunctionCallInfo fcinfo, text **sql, int32 *queue_size)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("SQL string must not be null")));

	*sql = PG_GETARG_TEXT_PP(0);
	*queue_size = (PG_NARGS() < 2 || PG_ARGISNULL(1)) ? 0 : PG_GETARG_INT32(1);
	if (*queue_size == 0)
		*queue_size = pgbg_default_queue_size;

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
 * A security-restricted operation (an index expression during VACUUM or
 * CREATE INDEX, a materialized view's query during REFRESH) runs the table
 * owner's code in the caller's session; a job would outlive it, in a
 * session of the caller's.  PostgreSQL refuses such lasting state there
 * (temporary tables, prepared statements, cursors WITH HOLD); so do we.
 */
static void
refuse_restricted_operation(void)
{
	if (InSecurityRestrictedOperation())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot start a background worker within security-restricted operation")));
}

/* Whom the job runs as (see PgbgIdentity). */
static void
current_identity(PgbgIdentity *id)
{
	memset(id, 0, sizeof(PgbgIdentity));
	id->session_user_id = GetSessionUserId();
	id->outer_role_id = GetCurrentRoleId();
	GetUserIdAndSecContext(&id->current_user_id, &id->sec_context);
}

/* Size of the job's segment */
static Size
segment_size(Size sql_len, Size guc_len)
{
	shm_toc_estimator e;

	shm_toc_initialize_estimator(&e);
	shm_toc_estimate_chunk(&e, sizeof(PgbgFixed));
	shm_toc_estimate_chunk(&e, sql_len + 1);
	shm_toc_estimate_chunk(&e, guc_len);
	shm_toc_estimate_keys(&e, PGBG_NKEYS);
	return shm_toc_estimate(&e);
}

/*
 * Create and fill the segment.  The caller owns the returned segment; its
 * mapping is pinned so it outlives the current transaction (a worker is
 * autonomous: its result may be read in a later transaction).
 */
static dsm_segment *
setup_segment(const char *sql, Size sql_len, Size guc_len, Size segsize,
			  Size queue_size, const PgbgIdentity *id, bool submit,
			  const char **sql_out, PgbgFixed **fixed_out)
{
	dsm_segment *seg;
	shm_toc    *toc;
	PgbgFixed  *fixed;
	char	   *sqlcopy;
	char	   *gucstate;

	seg = dsm_create(segsize, 0);
	dsm_pin_mapping(seg);
	toc = shm_toc_create(PGBG_MAGIC, dsm_segment_address(seg), segsize);

	fixed = shm_toc_allocate(toc, sizeof(PgbgFixed));
	fixed->database_id = MyDatabaseId;
	fixed->authenticated_user_id = GetAuthenticatedUserId();
	fixed->identity = *id;
	namestrcpy(&fixed->database, get_database_name(MyDatabaseId));
	fixed->launcher_pid = MyProcPid;
	fixed->queue_size = queue_size;
	fixed->worker_timeout_ms = pgbg_worker_timeout_ms;
	fixed->discard_output = submit;
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

/*
 * Launch the job of fcinfo's arguments (sql, queue_size); submit: its
 * output is discarded.  Returns the session's entry for it.
 */
PgbgWorker *
pgbg_launch(FunctionCallInfo fcinfo, bool submit)
{
	text	   *sql;
	int32		queue_size;
	dsm_segment *seg;
	shm_mq_handle *volatile mqh;	/* set in PG_TRY, read in PG_CATCH */
	PgbgPoolWorker *volatile pw;
	const char *sql_in_seg;
	PgbgFixed  *fixed;
	pid_t		pid;
	PgbgIdentity id;
	Size		guc_len;
	Size		segsize;
	uint64		cookie;

	check_launch_args(fcinfo, &sql, &queue_size);
	/* the job's name in this session (c/api_v2.c), before anything is taken */
	if (!pg_strong_random(&cookie, sizeof(cookie)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random cookie for a background job")));
	refuse_restricted_operation();
	current_identity(&id);

	guc_len = EstimateGUCStateSpace();
	segsize = segment_size(VARSIZE_ANY_EXHDR(sql), guc_len);
	pgbg_session_check_limits(segsize, (Size) queue_size, &id);

	/* dsm_create keeps its bookkeeping in TopMemoryContext by itself. */
	seg = setup_segment(VARDATA_ANY(sql), VARSIZE_ANY_EXHDR(sql), guc_len,
						segsize, (Size) queue_size, &id, submit, &sql_in_seg, &fixed);

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
		pw = pgbg_pool_start_job(dsm_segment_handle(seg), queue_size, &id, false);
		mqh = attach_queue(pw);
		/* A new worker takes milliseconds to start: load Go meanwhile. */
		if (!pw->reused)
			pgbg_go_preload();
		if (!wait_for_sender(pw) && pw->reused)
		{
			/*
			 * A reused worker died while idle: a new one takes the job.  The
			 * dead one's record may be freed on the way (pgbg_pool_prune).
			 */
			shm_mq_detach(mqh);
			mqh = NULL;
			pw = NULL;
			pw = pgbg_pool_start_job(dsm_segment_handle(seg), queue_size, &id, true);
			mqh = attach_queue(pw);
			(void) wait_for_sender(pw);
		}
		if (shm_mq_get_sender(pw->mq) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
					 errmsg("could not start background process"),
					 errhint("More details may be available in the server log.")));
		/* the new worker is attached: counted for its role */
		pgbg_role_lock_release();

		/*
		 * The pid names the job in this session.  Only a worker that exited
		 * with its result unread can have had it, and only a read in progress
		 * (user code inside it launches) cannot let go of that result.
		 */
		pid = fixed->worker_pid;
		if (pid <= 0)
			elog(ERROR, "background worker attached without reporting its PID");
		pgbg_worker_check_pid_free(pid);
	}
	PG_CATCH();
	{
		pgbg_role_lock_release();
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

	return pgbg_worker_add(pid, seg, mqh, pw, sql_in_seg, queue_size, submit,
						   cookie);
}

Datum
pg_background_launch(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(pgbg_launch(fcinfo, false)->pid);
}
