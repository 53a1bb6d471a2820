/*
 * worker.c
 *		pg_background_worker_main(): the entry point of every worker.
 *
 * The order matters (as in ParallelWorkerMain): attach to the queue and
 * redirect protocol output into it first, because before that nothing the
 * worker reports can reach the launcher; then connect, restore the
 * launcher's settings and identity, run the SQL and say ReadyForQuery.
 * No Go is loaded in this process.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/async.h"
#include "libpq/libpq.h"
#include "libpq/pqmq.h"
#include "mb/pg_wchar.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shm_toc.h"
#include "tcop/dest.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "pg_background.h"

/* Connect as the launcher's authenticated user, then take on its roles. */
static void
become_launcher(PgbgFixed *fixed, char *gucstate)
{
	BackgroundWorkerInitializeConnectionByOid(fixed->database_id,
											  fixed->authenticated_user_id,
											  0);

	/* Parallel workers do the same: the launcher expects our encoding. */
	SetClientEncoding(GetDatabaseEncoding());

	StartTransactionCommand();
	if (strcmp(get_database_name(fixed->database_id),
			   NameStr(fixed->database)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("database \"%s\" was renamed while the background worker started",
						NameStr(fixed->database))));
	RestoreGUCState(gucstate);
	CommitTransactionCommand();

	/* RestoreGUCState set client_encoding back to the launcher's. */
	SetClientEncoding(GetDatabaseEncoding());

	SetUserIdAndSecContext(fixed->current_user_id, fixed->sec_context);
}

void
pg_background_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	shm_toc    *toc;
	PgbgFixed  *fixed;
	char	   *sql;
	char	   *gucstate;
	shm_mq	   *mq;
	shm_mq_handle *mqh;

	/* A worker runs queries: terminate and cancel it like a backend. */
	pqsignal(SIGTERM, die);
	pqsignal(SIGINT, StatementCancelHandler);
	BackgroundWorkerUnblockSignals();

	CurrentResourceOwner = ResourceOwnerCreate(NULL, "pg_background");
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not map dynamic shared memory segment")));
	toc = shm_toc_attach(PGBG_MAGIC, dsm_segment_address(seg));
	if (toc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("bad magic number in dynamic shared memory segment")));

	fixed = shm_toc_lookup(toc, PGBG_KEY_FIXED, false);
	sql = shm_toc_lookup(toc, PGBG_KEY_SQL, false);
	gucstate = shm_toc_lookup(toc, PGBG_KEY_GUC, false);
	mq = shm_toc_lookup(toc, PGBG_KEY_QUEUE, false);

	/* Publish our pid, then attach: the launcher waits for the attach. */
	fixed->worker_pid = MyProcPid;
	shm_mq_set_sender(mq, MyProc);
	mqh = shm_mq_attach(mq, seg, NULL);
	pq_redirect_to_shm_mq(seg, mqh);

	become_launcher(fixed, gucstate);

	/*
	 * Without this handler an ERROR would be promoted to FATAL.  Report it
	 * (into the queue, and to the server log as configured) and roll back,
	 * as PostgresMain does; FATAL (e.g. pg_terminate_backend) still exits.
	 */
	PG_TRY();
	{
		pgbg_execute_sql_string(sql, fixed->queue_size);
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();

	/* Tell the launcher we are done; a detached queue just drops it. */
	ReadyForQuery(DestRemote);
	proc_exit(0);
}
