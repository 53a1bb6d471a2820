/*
 * slots.c
 *		Getting a worker slot (max_worker_processes) for a new worker, within
 *		the limits a superuser set for the launching role.
 *
 * Idle workers.  A pooled worker waiting for its session's next job holds a
 * slot.  When none is free, a launch asks the idle pg_background workers of
 * every session to leave (SIGUSR2: an idle worker exits, a busy one ignores
 * it, see worker.c), one at a time, and waits for a slot, so an idle worker
 * never makes a launch fail.  Parallel query and other background workers do not ask:
 * pg_background.max_worker_idle_timeout bounds how long an idle worker can
 * stand in their way.
 *
 * Per-role cap.  pg_background.max_workers_per_role bounds the workers, busy
 * or idle, connected as one role (the launching session's authenticated
 * user; PostgreSQL's CONNECTION LIMIT does not count background workers).
 * They are counted in the PGPROC array, so nothing needs preloading: a
 * worker sets its PGPROC's roleId before it attaches to its first job's
 * queue, and the launch holds a lock for the role from the count until its
 * new worker has attached, so that two sessions of the role cannot both
 * take the last place.
 */
#include "postgres.h"

#include <signal.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/timestamp.h"

#include "pg_background.h"
#include "pgbg_compat.h"

/*
 * A launch asks one idle worker at a time to leave, another every
 * RECLAIM_STEP_MS, and waits at most RECLAIM_WAIT_MS from the first ask.
 */
#define RECLAIM_STEP_MS		100
#define RECLAIM_WAIT_MS		1000

/* Fourth field of the role's advisory lock tag (database 0: no SQL name) */
#define ROLE_LOCK_KIND		0x5047

static LOCKTAG role_lock;
static bool role_lock_held = false;

/*
 * The pg_background workers connected as role (any, if InvalidOid), counted
 * from the PGPROC array (read without a lock: a count, not a promise).
 * With ask_idle, only those waiting idle, or that may be (an idle worker
 * waits on PG_WAIT_EXTENSION), other than us, are counted, and signalled
 * to leave: one, the next after the one asked last (a busy one ignores the
 * request, so the next ask goes to another).
 */
static int
scan_workers(Oid role, bool ask_idle)
{
	static uint32 ask_from = 0;
	uint32		nprocs = ProcGlobal->allProcCount;
	int			n = 0;

	for (uint32 k = 0; k < nprocs; k++)
	{
		uint32		i = ask_idle ? (ask_from + k) % nprocs : k;
		PGPROC	   *proc = &ProcGlobal->allProcs[i];
		pid_t		pid = proc->pid;
		const char *type;

		if (pid == 0 || !pgbg_proc_is_bgworker(proc) ||
			(OidIsValid(role) && proc->roleId != role) ||
			(ask_idle && (pid == MyProcPid ||
						  proc->wait_event_info != PG_WAIT_EXTENSION)))
			continue;
		type = GetBackgroundWorkerTypeByPid(pid);
		if (type == NULL || strcmp(type, "pg_background") != 0 ||
			(ask_idle && kill(pid, SIGUSR2) != 0))
			continue;
		n++;
		if (ask_idle)
		{
			ask_from = i + 1;
			break;
		}
	}
	return n;
}

/*
 * Ask one more idle worker (of role, or any) to leave, if it is time to;
 * *first is when we first asked (0: not yet).  Returns the deadline for
 * the wait that follows, extended to cover the reclaim.
 */
static TimestampTz
ask_one_idle_worker(Oid role, TimestampTz *first, TimestampTz *next,
					TimestampTz deadline)
{
	TimestampTz now = GetCurrentTimestamp();

	if (now < *next || (*first != 0 &&
						now >= TimestampTzPlusMilliseconds(*first, RECLAIM_WAIT_MS)))
		return deadline;
	*next = TimestampTzPlusMilliseconds(now, RECLAIM_STEP_MS);
	if (scan_workers(role, true) == 0)
		return deadline;
	if (*first == 0)
		*first = now;
	return Max(deadline, TimestampTzPlusMilliseconds(*first, RECLAIM_WAIT_MS));
}

static void
nap(void)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 5L, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * Before starting a new worker: raise 53300 if the role's workers are at
 * pg_background.max_workers_per_role (after asking its idle ones to leave).
 * Otherwise the role's lock is held until pgbg_role_lock_release, which
 * the launch calls once its worker attached, or on its error path.
 */
void
pgbg_check_role_workers(void)
{
	Oid			role = GetAuthenticatedUserId();
	TimestampTz deadline = GetCurrentTimestamp();
	TimestampTz first = 0;
	TimestampTz next = 0;
	int			n;

	if (pgbg_max_workers_per_role < 0 || superuser_arg(role) || role_lock_held)
		return;
	SET_LOCKTAG_ADVISORY(role_lock, InvalidOid, role, 0, ROLE_LOCK_KIND);
	(void) LockAcquire(&role_lock, ExclusiveLock, false, false);
	role_lock_held = true;
	while ((n = scan_workers(role, false)) >= pgbg_max_workers_per_role)
	{
		deadline = ask_one_idle_worker(role, &first, &next, deadline);
		if (GetCurrentTimestamp() >= deadline)
		{
			pgbg_role_lock_release();
			ereport(ERROR,
					(errcode(ERRCODE_TOO_MANY_CONNECTIONS),
					 errmsg("too many background workers for role \"%s\"",
							GetUserNameFromId(role, false)),
					 errdetail("Its sessions have %d background workers; pg_background.max_workers_per_role is %d.",
							   n, pgbg_max_workers_per_role),
					 errhint("Read or wait for earlier jobs, or ask a superuser to raise pg_background.max_workers_per_role.")));
		}
		nap();
	}
}

/* The new worker is counted now (or did not start): let others count. */
void
pgbg_role_lock_release(void)
{
	if (!role_lock_held)
		return;
	role_lock_held = false;
	LockRelease(&role_lock, ExclusiveLock, false);
}

/*
 * Start a worker that takes its jobs from the control segment ctl: the
 * handle is allocated in the current memory context.
 */
BackgroundWorkerHandle *
pgbg_register_worker(dsm_handle ctl)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	TimestampTz deadline;
	TimestampTz first = 0;
	TimestampTz next = 0;

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

	/*
	 * Exited workers hold their slots until the postmaster reaps them, which
	 * lags under load: poll (nothing signals a freed slot to us) for
	 * pg_background.worker_slot_wait, or longer for idle workers we asked to
	 * leave.
	 */
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   pgbg_worker_slot_wait_ms);
	while (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		deadline = ask_one_idle_worker(InvalidOid, &first, &next, deadline);
		if (GetCurrentTimestamp() >= deadline)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
					 errmsg("could not register background process"),
					 errhint("You may need to increase max_worker_processes.")));
		nap();
	}
	return handle;
}
