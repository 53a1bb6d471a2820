/*
 * pg_background.h
 *		The dynamic shared memory layout a launcher shares with its worker,
 *		and the prototypes that cross files of the C shim.
 *
 * One DSM segment per job, laid out with shm_toc:
 *	PGBG_KEY_FIXED	PgbgFixed: who the worker must become, and where
 *	PGBG_KEY_SQL	the SQL string, NUL-terminated
 *	PGBG_KEY_GUC	the launcher's GUC state (SerializeGUCState)
 * and one control segment per worker (PgbgPoolSlot, below), which also holds
 * the shm_mq the worker writes protocol messages into (the launcher is the
 * receiver), created afresh for every job.  Everything in the job segment
 * but PgbgFixed.worker_pid is written by the launcher before the worker is
 * handed the job and only read afterwards, so it needs no lock.
 */
#ifndef PG_BACKGROUND_H
#define PG_BACKGROUND_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "storage/spin.h"
#include "tcop/dest.h"
#include "utils/hsearch.h"
#include "utils/portal.h"

#define PGBG_MAGIC				0x50474247	/* "PGBG" */

#define PGBG_KEY_FIXED			0
#define PGBG_KEY_SQL			1
#define PGBG_KEY_GUC			2
#define PGBG_NKEYS				3

#define PGBG_DEFAULT_QUEUE_SIZE	65536
#define PGBG_MAX_QUEUE_SIZE		((Size) 1024 * 1024 * 1024)

/*
 * Who a job runs as, beyond the session's database and authenticated user:
 * a worker is reused only for the identity it served (pool.c).
 */
typedef struct PgbgIdentity
{
	Oid			session_user_id;	/* SET SESSION AUTHORIZATION */
	Oid			outer_role_id;	/* SET ROLE (GetCurrentRoleId), or none */
	Oid			current_user_id;
	int			sec_context;	/* SECURITY DEFINER: LOCAL_USERID_CHANGE */
} PgbgIdentity;

typedef struct PgbgFixed
{
	Oid			database_id;
	Oid			authenticated_user_id;
	PgbgIdentity identity;		/* the launcher's (its session user is
								 * restored with the settings) */
	NameData	database;		/* to detect a renamed/recreated database */
	pid_t		launcher_pid;
	Size		queue_size;		/* bytes in the queue's ring */
	int			worker_timeout_ms;	/* pg_background.worker_timeout, 0: none */
	bool		discard_output;	/* pg_background_submit_v2: send only
								 * ReadyForQuery */

	/*
	 * Written by the worker before it attaches to the queue as sender; the
	 * launcher reads it once shm_mq_wait_for_attach() has seen the sender
	 * (that handshake goes through the queue's spinlock, which orders them).
	 */
	pid_t		worker_pid;
} PgbgFixed;

/*
 * The control segment of a worker (c/pool.c): a DSM segment, made by the
 * session that starts the worker and given to it as bgw_main_arg, through
 * which the session hands it one job after another.  Every field is read
 * and written under mutex.  The job's queue follows the struct, at
 * PGBG_POOL_QUEUE_OFFSET: the session creates it there (shm_mq_create, of
 * the job's queue_size) only while the worker is idle, i.e. detached from
 * the previous one, and before it hands over the job.  Reusing the memory
 * spares each launch a fresh allocation of the whole queue.
 */
typedef enum PgbgPoolState
{
	PGBG_POOL_BUSY,				/* a job is set or running */
	PGBG_POOL_IDLE,				/* waiting for a job */
	PGBG_POOL_GONE				/* exiting: hand it nothing more */
} PgbgPoolState;

/*
 * How the current job of a worker ended, as the worker says (c/job_state.c).
 */
typedef enum PgbgJobStatus
{
	PGBG_STATUS_RUNNING,
	PGBG_STATUS_DONE,			/* ended without error */
	PGBG_STATUS_FAILED,			/* ended with an error */
	PGBG_STATUS_CANCELED,		/* pg_background_cancel_v2 stopped it */
	PGBG_STATUS_TIMED_OUT		/* pg_background.worker_timeout stopped it */
} PgbgJobStatus;

#define PGBG_PROGRESS_MSG_LEN	64
#define PGBG_JOB_ERROR_LEN		256

/*
 * The current job's state, shared by the worker and its session through the
 * control segment (c/job_state.c).  The session resets it when it hands
 * the worker a job, while the worker is idle; from then on the worker
 * writes status, error, ended_at, progress and past_commit, the session
 * writes cancel_requested; always under the slot's mutex.  A worker is
 * handed its next job only once the session has forgotten this one, so the
 * fields describe the job the session's entry names.
 */
typedef struct PgbgJobState
{
	PgbgJobStatus status;
	bool		cancel_requested;	/* stop before the job's next commit */
	bool		past_commit;	/* the transaction is committing or has
								 * committed and no other has begun: nothing
								 * to cancel now */
	TimestampTz ended_at;
	int32		progress_pct;	/* -1: none reported */
	char		progress_msg[PGBG_PROGRESS_MSG_LEN];
	char		error[PGBG_JOB_ERROR_LEN];	/* the job's error message */
} PgbgJobState;

typedef struct PgbgPoolSlot
{
	slock_t		mutex;
	PgbgPoolState state;
	dsm_handle	job;			/* segment of the next job, set with BUSY */
	bool		retire;			/* the session is ending: exit when idle */
	PGPROC	   *worker;			/* set by the worker: whom to wake */
	PGPROC	   *session;		/* the session: woken when the worker idles */
	Size		queue_area;		/* bytes for a queue at PGBG_POOL_QUEUE_OFFSET */
	PgbgJobState js;			/* the current job */
} PgbgPoolSlot;

#define PGBG_POOL_QUEUE_OFFSET	MAXALIGN(sizeof(PgbgPoolSlot))
#define PGBG_POOL_QUEUE(slot)	((shm_mq *) ((char *) (slot) + PGBG_POOL_QUEUE_OFFSET))

/* The session's record of one of its workers (c/pool.c). */
typedef struct PgbgPoolWorker
{
	dsm_segment *ctl;			/* control segment, mapping pinned */
	PgbgPoolSlot *slot;
	BackgroundWorkerHandle *handle;
	shm_mq	   *mq;				/* queue of its current job, in ctl */
	PgbgIdentity identity;		/* whom its jobs ran as */
	int			jobs;			/* job entries naming this worker */
	bool		finishing;		/* its last result was read: idle soon */
	bool		reused;			/* its current job went to it while idle */
	struct PgbgPoolWorker *next;
} PgbgPoolWorker;

/*
 * What the launching session remembers about one job (c/session.c).  Once
 * its worker has exited, the output still in the queue is copied into
 * spill and the segments are let go (c/spill.c).
 */
typedef struct PgbgWorker
{
	int32		pid;			/* hash key: the worker's pid */
	uint64		cookie;			/* random: names this job, not the worker */
	TimestampTz launched_at;
	bool		submitted;		/* pg_background_submit_v2: output discarded,
								 * forgotten once done */
	bool		finished;		/* its ReadyForQuery (or the queue's end) is
								 * in spill: all its output is */
	bool		counted;		/* its end is in the session's statistics */
	PgbgJobState js;			/* copied from the worker's slot */
	dsm_segment *seg;			/* the job's segment; NULL once spilled */
	shm_mq_handle *mqh;			/* receiver end; NULL once detached */
	PgbgPoolWorker *pw;			/* the worker; NULL once spilled */
	const char *sql;			/* in seg, or a copy once spilled (or NULL) */
	Oid			current_user_id;	/* launcher's: who may read or detach */
	Size		queue_size;
	SubTransactionId subid;		/* launching subtransaction, until commit */
	SubTransactionId read_subid;	/* reading: the read's subtransaction */
	bool		reading;		/* pg_background_result is consuming it */
	bool		read;			/* ... and has read all of it */
	bool		detached;		/* pg_background_detach named it */
	char	   *spill;			/* spilled messages: length word, bytes */
	Size		spill_cap;
	Size		spill_len;
	Size		spill_pos;		/* next message to read */
} PgbgWorker;

/* settings.c */
extern int	pgbg_worker_slot_wait_ms;
extern int	pgbg_worker_idle_timeout_ms;
extern int	pgbg_max_worker_idle_timeout_ms;
extern int	pgbg_max_workers_per_role;
extern int	pgbg_max_unread_jobs;
extern int	pgbg_max_session_memory_kb;
extern int	pgbg_max_workers;
extern int	pgbg_default_queue_size;
extern int	pgbg_worker_timeout_ms;
extern int	pgbg_effective_idle_timeout(void);

/* slots.c */
extern BackgroundWorkerHandle *pgbg_register_worker(dsm_handle ctl);
extern void pgbg_check_role_workers(void);
extern void pgbg_role_lock_release(void);

/* pool.c */
extern PgbgPoolWorker *pgbg_pool_start_job(dsm_handle job, Size queue_size,
										   const PgbgIdentity *identity,
										   bool fresh);
extern void pgbg_pool_discard(PgbgPoolWorker *pw);
extern void pgbg_pool_job_started(PgbgPoolWorker *pw);
extern bool pgbg_pool_worker_gone(PgbgPoolWorker *pw);
extern void pgbg_pool_prune(void);
extern bool pgbg_pool_can_reuse(Size queue_size, const PgbgIdentity *identity);
extern Size pgbg_pool_memory(void);
extern bool pgbg_pool_release_idle(Size queue_size, const PgbgIdentity *identity);
extern void pgbg_pool_retire_all(void);
extern int	pgbg_pool_running_jobs(void);
typedef enum PgbgJobEnd
{
	PGBG_JOB_READ,				/* pg_background_result read all of it */
	PGBG_JOB_DETACHED,			/* pg_background_detach */
	PGBG_JOB_ABORTED,			/* its (sub)transaction aborted, or an error
								 * struck while its result was read */
	PGBG_JOB_SPILLED			/* its worker exited, its output is copied */
} PgbgJobEnd;
extern void pgbg_pool_job_ended(PgbgPoolWorker *pw, PgbgJobEnd how);

/* launch.c */
extern PgbgWorker *pgbg_launch(FunctionCallInfo fcinfo, bool submit);

/* api_v2.c */
extern bool pgbg_row_type_is(TupleDesc desc, const Oid *types, int ntypes);
extern Datum pgbg_composite_result(FunctionCallInfo fcinfo, Datum *values,
								   bool *nulls, const Oid *types, int ntypes);

/* result.c */
extern Datum pgbg_read_result(FunctionCallInfo fcinfo, PgbgWorker *w);

/* session.c */
extern PgbgWorker *pgbg_worker_add(int32 pid, dsm_segment *seg,
								   shm_mq_handle *mqh, PgbgPoolWorker *pw,
								   const char *sql, Size queue_size,
								   bool submitted, uint64 cookie);
extern PgbgWorker *pgbg_worker_lookup(int32 pid);
extern PgbgWorker *pgbg_worker_find(int32 pid, const char *what);
extern PgbgWorker *pgbg_job_find(FunctionCallInfo fcinfo, const char *what);
extern HTAB *pgbg_session_jobs(void);
extern void pgbg_worker_check_pid_free(int32 pid);
extern void pgbg_worker_forget(PgbgWorker *w);
extern void pgbg_job_detach(PgbgWorker *w);
extern void pgbg_job_set_waiting(PgbgWorker *w);
extern PgbgWorker *pgbg_worker_start_reading(PgbgWorker *w);
extern void pgbg_worker_end_reading(PgbgWorker *previous);
extern Size pgbg_session_memory(void);
extern void pgbg_session_check_limits(Size segsize, Size queue_size,
									  const PgbgIdentity *identity);
extern void pgbg_session_reset(void);

/* job_state.c */
typedef struct PgbgSessionStats
{
	int64		launched;
	int64		completed;
	int64		failed;
	int64		canceled;		/* by cancel_v2 or worker_timeout */
	int64		ended;			/* the three above */
	double		total_ms;		/* run time of the ended ones */
} PgbgSessionStats;
extern PgbgSessionStats pgbg_stats;
extern void pgbg_job_state_reset(PgbgPoolSlot *slot);
extern void pgbg_job_refresh(PgbgWorker *w);
extern bool pgbg_job_running(PgbgWorker *w);
extern void pgbg_job_request_cancel(PgbgWorker *w);
extern void pgbg_stats_job_launched(void);
extern void pgbg_stats_count_end(PgbgWorker *w);
extern void pgbg_session_collect(void);
extern bool pgbg_job_wait(PgbgWorker *w, int timeout_ms);

/* spill.c */
extern void pgbg_spill_exited(HTAB *jobs);
extern void pgbg_spill_append(PgbgWorker *w, const void *data, Size len);
extern Size pgbg_job_memory(const PgbgWorker *w);
extern shm_mq_result pgbg_job_receive(PgbgWorker *w, Size *nbytes, void **data);
extern void pgbg_spill_free(PgbgWorker *w);

/* worker.c: the bgw_function_name of every worker */
extern PGDLLEXPORT void pg_background_worker_main(Datum main_arg);

#endif							/* PG_BACKGROUND_H */
