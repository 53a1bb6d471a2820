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

#include "fmgr.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "storage/spin.h"
#include "tcop/dest.h"
#include "utils/portal.h"

#define PGBG_MAGIC				0x50474247	/* "PGBG" */

#define PGBG_KEY_FIXED			0
#define PGBG_KEY_SQL			1
#define PGBG_KEY_GUC			2
#define PGBG_NKEYS				3

#define PGBG_DEFAULT_QUEUE_SIZE	65536
#define PGBG_MAX_QUEUE_SIZE		((Size) 1024 * 1024 * 1024)

typedef struct PgbgFixed
{
	Oid			database_id;
	Oid			authenticated_user_id;
	Oid			current_user_id;
	int			sec_context;
	NameData	database;		/* to detect a renamed/recreated database */
	pid_t		launcher_pid;
	Size		queue_size;		/* bytes in the queue's ring */

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

typedef struct PgbgPoolSlot
{
	slock_t		mutex;
	PgbgPoolState state;
	dsm_handle	job;			/* segment of the next job, set with BUSY */
	bool		retire;			/* the session is ending: exit when idle */
	PGPROC	   *worker;			/* set by the worker: whom to wake */
	PGPROC	   *session;		/* the session: woken when the worker idles */
	Size		queue_area;		/* bytes for a queue at PGBG_POOL_QUEUE_OFFSET */
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
	int			jobs;			/* job entries naming this worker */
	bool		finishing;		/* its last result was read: idle soon */
	bool		reused;			/* its current job went to it while idle */
	struct PgbgPoolWorker *next;
} PgbgPoolWorker;

/* What the launching session remembers about one job (c/session.c). */
typedef struct PgbgWorker
{
	int32		pid;			/* hash key: the worker's pid */
	dsm_segment *seg;			/* the job's segment */
	shm_mq_handle *mqh;			/* receiver end; NULL once detached */
	PgbgPoolWorker *pw;			/* the worker; its handle is the pool's */
	const char *sql;			/* inside seg: valid while seg is attached */
	SubTransactionId subid;		/* launching subtransaction, until commit */
	bool		reading;		/* pg_background_result is consuming it */
	bool		read;			/* ... and has read all of it */
	bool		detached;		/* pg_background_detach named it */
} PgbgWorker;

/* launch.c */
extern BackgroundWorkerHandle *pgbg_register_worker(dsm_handle ctl);

/* pool.c */
extern int	pgbg_worker_idle_timeout_ms;
extern PgbgPoolWorker *pgbg_pool_start_job(dsm_handle job, Size queue_size,
										   bool fresh);
extern void pgbg_pool_discard(PgbgPoolWorker *pw);
extern void pgbg_pool_job_started(PgbgPoolWorker *pw);
typedef enum PgbgJobEnd
{
	PGBG_JOB_READ,				/* pg_background_result read all of it */
	PGBG_JOB_DETACHED,			/* pg_background_detach */
	PGBG_JOB_ABORTED			/* its (sub)transaction aborted, or an error
								 * struck while its result was read */
} PgbgJobEnd;
extern void pgbg_pool_job_ended(PgbgPoolWorker *pw, PgbgJobEnd how);

/* session.c */
extern PgbgWorker *pgbg_worker_add(int32 pid, dsm_segment *seg,
								   shm_mq_handle *mqh, PgbgPoolWorker *pw,
								   const char *sql);
extern PgbgWorker *pgbg_worker_lookup(int32 pid);
extern void pgbg_worker_forget(PgbgWorker *w);
extern void pgbg_worker_start_reading(PgbgWorker *w);

/* worker.c: the bgw_function_name of every worker */
extern PGDLLEXPORT void pg_background_worker_main(Datum main_arg);

/* worker_exec.c */
extern void pgbg_execute_sql_string(const char *sql, Size queue_size);

/* worker_output.c */
extern void pgbg_redirect_output(dsm_segment *seg, shm_mq_handle *mqh);
extern bool pgbg_output_broken(void);

/* worker_dest.c */
extern DestReceiver *pgbg_create_row_sender(Portal portal, Size queue_size);

#endif							/* PG_BACKGROUND_H */
