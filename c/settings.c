/*
 * settings.c
 *		The extension's settings (pg_background.*), defined when the module
 *		is loaded.
 *
 * Five are the user's (how long a launch waits for a worker slot, how long
 * an idle worker waits for the session's next job, and those the original
 * extension's 1.8 has: how many jobs a session may have running, the
 * default queue size, how long a job may run).  The others bound what
 * one role or session can take from the cluster, so only a superuser sets
 * them (PGC_SUSET: postgresql.conf, ALTER SYSTEM, or ALTER ROLE/DATABASE
 * ... SET by a superuser).  README "Limits and security" says what each
 * bounds.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "pg_background.h"
#include "pgbg_compat.h"

/* The one magic block of pg_background.so. */
PG_MODULE_MAGIC;

int			pgbg_worker_slot_wait_ms = 200;
int			pgbg_worker_idle_timeout_ms = 1000;
int			pgbg_max_worker_idle_timeout_ms = 60 * 1000;
int			pgbg_max_workers_per_role = -1;
int			pgbg_max_unread_jobs = 1000;
int			pgbg_max_session_memory_kb = 256 * 1024;
int			pgbg_max_workers = 16;
int			pgbg_default_queue_size = PGBG_DEFAULT_QUEUE_SIZE;
int			pgbg_worker_timeout_ms = 0;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("pg_background.worker_slot_wait",
							"How long pg_background_launch waits for a free worker slot.",
							"Zero fails at once when max_worker_processes slots are all taken "
							"(idle workers of any session are asked to leave first).",
							&pgbg_worker_slot_wait_ms, 200, 0, 60000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_background.worker_idle_timeout",
							"How long a worker stays, idle, for the next launch of its session.",
							"A session hands its next job to its own idle worker instead of "
							"starting a new one.  Zero: every worker exits after its job.  "
							"At most pg_background.max_worker_idle_timeout.",
							&pgbg_worker_idle_timeout_ms, 1000, 0, 3600 * 1000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_background.max_worker_idle_timeout",
							"The longest pg_background.worker_idle_timeout takes effect.",
							"An idle worker holds a max_worker_processes slot.",
							&pgbg_max_worker_idle_timeout_ms, 60 * 1000, 0, 3600 * 1000,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_background.max_workers_per_role",
							"The most background workers the sessions of one role may have running.",
							"Counts the workers connected as the role, busy or idle, across the cluster.  "
							"-1: no limit.  Superusers are not limited.",
							&pgbg_max_workers_per_role, -1, -1, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_background.max_unread_jobs",
							"The most jobs a session keeps launched but not yet read or detached.",
							NULL,
							&pgbg_max_unread_jobs, 1000, 1, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_background.max_session_memory",
							"The most memory a session keeps for its background jobs.",
							"Its workers' queues and job segments (shared memory), and the output "
							"still unread of jobs whose worker has exited.",
							&pgbg_max_session_memory_kb, 256 * 1024, 64, INT_MAX,
							PGC_SUSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_background.max_workers",
							"The most background jobs a session may have running at once.",
							"Jobs whose output waits to be read and idle workers do not count; "
							"pg_background.max_unread_jobs and max_session_memory bound those.",
							&pgbg_max_workers, 16, 1, 1000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_background.default_queue_size",
							"The queue size of a launch whose queue_size is omitted, NULL or 0.",
							NULL,
							&pgbg_default_queue_size, PGBG_DEFAULT_QUEUE_SIZE, 4096, 256 * 1024 * 1024,
							PGC_USERSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_background.worker_timeout",
							"How long a background job may run before it is canceled.",
							"Taken at launch; the job ends with an error saying it timed out.  Zero: no limit.",
							&pgbg_worker_timeout_ms, 0, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	MarkGUCPrefixReserved("pg_background");
}

/* How long a worker may idle for its session, capped. */
int
pgbg_effective_idle_timeout(void)
{
	return Min(pgbg_worker_idle_timeout_ms, pgbg_max_worker_idle_timeout_ms);
}
