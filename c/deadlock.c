/*
 * deadlock.c
 *		Make a launcher/worker deadlock visible and report it as 40P01.
 *
 * PostgreSQL's deadlock detector sees heavyweight lock waits only.  A
 * launcher reading a result waits on a shm_mq instead, so a worker that
 * waits (directly, or through other sessions) for a lock the launcher holds
 * would wait forever, and so would the launcher.  While it waits, the
 * launcher checks every deadlock_timeout whether its worker is blocked,
 * transitively, by the launcher itself, with the lock manager's own
 * blocking data (what pg_blocking_pids() reports: hard blocks and wait
 * queue order, lock groups reported by their leader).  No false positives:
 * a worker that is slow, or blocked by sessions that do not wait for us, is
 * never reported.
 *
 * Cost.  The lock manager's blocking data (GetBlockerStatusData) takes
 * every lock partition's LWLock and allocates for every process examined,
 * so the check first looks at the worker's PGPROC: a worker that waits for
 * no heavyweight lock, and has no lock group (parallel workers, whose
 * waits its leader's blockers include), cannot be in such a cycle.  What a
 * check allocates goes with a memory context of its own.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/array.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"

#include "pgbg_wait.h"

#define MAX_CHAIN	256			/* processes examined per check */

static void search_cycle(int32 worker_pid);

static void
blockers_of(int32 pid, int32 **pids, int *npids)
{
	ArrayType  *a = DatumGetArrayTypeP(DirectFunctionCall1(pg_blocking_pids,
														   Int32GetDatum(pid)));

	*npids = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	*pids = (int32 *) ARR_DATA_PTR(a);
}

/* "ShareLock on transaction 123", the lock pid waits for, or "a lock" */
static void
describe_wait(LockData *locks, int32 pid, StringInfo buf)
{
	for (int i = 0; i < locks->nelements; i++)
	{
		LockInstanceData *l = &locks->locks[i];

		if (l->pid == pid && l->waitLockMode != NoLock)
		{
			appendStringInfo(buf, "%s on ",
							 GetLockmodeName(l->locktag.locktag_lockmethodid,
											 l->waitLockMode));
			DescribeLockTag(buf, &l->locktag);
			return;
		}
	}
	appendStringInfoString(buf, "a lock");
}

static void
report(int32 *chain, int *parent, int last)
{
	LockData   *locks = GetLockStatusData();
	StringInfoData detail;
	int			path[MAX_CHAIN];
	int			len = 0;

	for (int i = last; i >= 0; i = parent[i])
		path[len++] = i;

	initStringInfo(&detail);
	for (int k = len - 1; k >= 0; k--)
	{
		int32		pid = chain[path[k]];
		int32		next = (k > 0) ? chain[path[k - 1]] : MyProcPid;

		if (k < len - 1)
			appendStringInfoChar(&detail, '\n');
		appendStringInfo(&detail, "Process %d waits for ", pid);
		describe_wait(locks, pid, &detail);
		if (next == MyProcPid)
			appendStringInfo(&detail, "; blocked by process %d (this session), which waits for background worker %d.",
							 MyProcPid, chain[0]);
		else
			appendStringInfo(&detail, "; blocked by process %d.", next);
	}

	ereport(ERROR,
			(errcode(ERRCODE_T_R_DEADLOCK_DETECTED),
			 errmsg("deadlock detected between this session and background worker %d",
					chain[0]),
			 errdetail_internal("%s", detail.data),
			 errhint("Detach the worker, or read its result after this transaction has ended.")));
}

/*
 * May the worker be waiting for a heavyweight lock, itself or through its
 * lock group?  Read without a lock: a wait that begins just after is seen
 * at the next check.
 */
static bool
may_wait_for_lock(int32 worker_pid)
{
	PGPROC	   *proc = BackendPidGetProc(worker_pid);
	PGPROC	   *leader;
	LWLock	   *partition;
	bool		members;

	if (proc == NULL)
		return false;
	if (proc->waitLock != NULL)
		return true;
	leader = proc->lockGroupLeader;
	if (leader == NULL)
		return false;
	/* A leader stays one: are there members (parallel workers) now? */
	partition = LockHashPartitionLockByProc(leader);
	LWLockAcquire(partition, LW_SHARED);
	members = !dlist_is_empty(&leader->lockGroupMembers) &&
		dlist_has_next(&leader->lockGroupMembers,
					   dlist_head_node(&leader->lockGroupMembers));
	LWLockRelease(partition);
	return members;
}

void
pgbg_check_deadlock(int32 worker_pid)
{
	static MemoryContext check_cxt = NULL;
	MemoryContext old;

	if (!may_wait_for_lock(worker_pid))
		return;
	if (check_cxt == NULL)
		check_cxt = AllocSetContextCreate(TopMemoryContext,
										  "pg_background deadlock check",
										  ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(check_cxt);
	PG_TRY();
	{
		search_cycle(worker_pid);
	}
	PG_FINALLY();
	{
		MemoryContextSwitchTo(old);
		MemoryContextReset(check_cxt);
	}
	PG_END_TRY();
}

/* Breadth-first over "is blocked by", from the worker; reports a cycle. */
static void
search_cycle(int32 worker_pid)
{
	int32		chain[MAX_CHAIN];
	int			parent[MAX_CHAIN];
	int			n = 0;

	chain[n] = worker_pid;
	parent[n++] = -1;

	for (int head = 0; head < n; head++)
	{
		int32	   *pids;
		int			npids;

		blockers_of(chain[head], &pids, &npids);
		for (int i = 0; i < npids; i++)
		{
			bool		seen = false;

			if (pids[i] == MyProcPid)
				report(chain, parent, head);
			for (int j = 0; j < n && !seen; j++)
				seen = (chain[j] == pids[i]);
			if (!seen && n < MAX_CHAIN)
			{
				chain[n] = pids[i];
				parent[n++] = head;
			}
		}
	}
}
