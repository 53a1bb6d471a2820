/*
 * pg_background.h
 *		The dynamic shared memory layout a launcher shares with its worker,
 *		and the prototypes that cross files of the C shim.
 *
 * One DSM segment per launch, laid out with shm_toc:
 *	PGBG_KEY_FIXED	PgbgFixed: who the worker must become, and where
 *	PGBG_KEY_SQL	the SQL string, NUL-terminated
 *	PGBG_KEY_GUC	the launcher's GUC state (SerializeGUCState)
 *	PGBG_KEY_QUEUE	the shm_mq the worker writes protocol messages into;
 *					the launcher is the receiver
 * Everything but the queue and PgbgFixed.worker_pid is written by the
 * launcher before the worker is registered and only read afterwards, so it
 * needs no lock.
 */
#ifndef PG_BACKGROUND_H
#define PG_BACKGROUND_H

#include "postgres.h"

#include "fmgr.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/shm_mq.h"
#include "tcop/dest.h"
#include "utils/portal.h"

#define PGBG_MAGIC				0x50474247	/* "PGBG" */

#define PGBG_KEY_FIXED			0
#define PGBG_KEY_SQL			1
#define PGBG_KEY_GUC			2
#define PGBG_KEY_QUEUE			3
#define PGBG_NKEYS				4

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

/* What the launching session remembers about one worker (c/session.c). */
typedef struct PgbgWorker
{
	int32		pid;			/* hash key */
	dsm_segment *seg;
	shm_mq_handle *mqh;			/* receiver end; NULL once detached */
	BackgroundWorkerHandle *handle;
	const char *sql;			/* inside seg: valid while seg is attached */
	SubTransactionId subid;		/* launching subtransaction, until commit */
	bool		reading;		/* pg_background_result is consuming it */
} PgbgWorker;

/* session.c */
extern PgbgWorker *pgbg_worker_add(int32 pid, dsm_segment *seg,
								   shm_mq_handle *mqh,
								   BackgroundWorkerHandle *handle,
								   const char *sql);
extern PgbgWorker *pgbg_worker_lookup(int32 pid);
extern void pgbg_worker_forget(PgbgWorker *w);
extern void pgbg_worker_start_reading(PgbgWorker *w);

/* worker.c: the bgw_function_name of every worker */
extern PGDLLEXPORT void pg_background_worker_main(Datum main_arg);

/* worker_exec.c */
extern void pgbg_execute_sql_string(const char *sql, Size queue_size);

/* worker_dest.c */
extern DestReceiver *pgbg_create_row_sender(Portal portal, Size queue_size);

#endif							/* PG_BACKGROUND_H */
