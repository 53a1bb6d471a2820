/*
 * worker_identity.c
 *		Who a worker is for a job: the launcher's database and
 *		authenticated user (connected once, on the first job), settings,
 *		role, current user and security context (for every job).
 *
 * Settings.  RestoreGUCState resets every setting that is not at its
 * default to the default, then applies the launcher's, as in a parallel
 * worker; it runs in a transaction of its own, for the catalog lookups of
 * the check hooks.  Two settings need more than that:
 *	- role: not every version ships it, and a job's SET LOCAL ROLE followed
 *	  by ROLLBACK (or a function's SET role clause) returns to whatever the
 *	  setting held before, which must be the launcher's, never a previous
 *	  job's.  It is set from the launcher's role OID (GetCurrentRoleId), as
 *	  ParallelWorkerMain does with SetCurrentRoleId.
 *	- transaction_read_only: every backend has it set (PGC_S_OVERRIDE), so
 *	  it is shipped and reset, and on a hot standby, where every transaction
 *	  is read-only, its check hook refuses the reset to "off" in our
 *	  settings transaction (parallel workers skip the check while they
 *	  initialize).  That transaction only looks up catalogs, so it is made
 *	  read-write for the hook; the job's own transactions are read-only
 *	  again, and a write fails as on any standby.
 *
 * Security context.  A launch from a SECURITY DEFINER function runs the job
 * as the function's owner with SECURITY_LOCAL_USERID_CHANGE, so that the
 * job cannot SET ROLE or RESET ROLE its way to the caller's identity.
 * PostgreSQL keeps a security context only inside a transaction
 * (StartTransaction asserts none is set): it is set after every transaction
 * command of the job, whenever a transaction is open (a chained one too:
 * pgbg_identity_enter_transaction), and cleared when one commits (a
 * callback; an abort restores the state before the transaction started).  Statements that commit internally (VACUUM, CREATE INDEX
 * CONCURRENTLY) run their later transactions without it; they switch to the
 * table owner in a security-restricted operation themselves wherever they
 * run user code.  CALL and DO run atomic in such a job (worker_exec.c), so a
 * procedure cannot COMMIT its way out of the context.  A launch inside a
 * security-restricted operation is refused by the launcher.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"

#include "pg_background.h"
#include "pgbg_compat.h"
#include "worker_internal.h"

/* The job's current user and security context. */
static Oid	job_user = InvalidOid;
static int	job_sec_context = 0;

/*
 * Names of the custom placeholders once the launcher's settings were
 * restored (sorted; in placeholder_cxt, reset with every job).
 */
static MemoryContext placeholder_cxt = NULL;
static char **placeholders_at_start = NULL;
static int	nplaceholders_at_start = 0;

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names of the custom placeholders now (sorted), in placeholder_cxt. */
static char **
placeholder_names(int *count)
{
	int			n;
	struct config_generic **vars = pgbg_guc_variables(&n);
	char	  **names = MemoryContextAlloc(placeholder_cxt, sizeof(char *) * Max(n, 1));

	*count = 0;
	for (int i = 0; i < n; i++)
		if (vars[i]->flags & GUC_CUSTOM_PLACEHOLDER)
			names[(*count)++] = MemoryContextStrdup(placeholder_cxt, vars[i]->name);
	pgbg_guc_variables_free(vars);
	qsort(names, *count, sizeof(char *), compare_names);
	return names;
}

/* A commit ends the security context of the transaction (see above). */
static void
clear_security_context(XactEvent event, void *arg)
{
	Oid			user;
	int			sec_context;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_PREPARE)
		return;
	GetUserIdAndSecContext(&user, &sec_context);
	if (sec_context != 0)
		SetUserIdAndSecContext(user, 0);
}

void
pgbg_identity_init(void)
{
	RegisterXactCallback(clear_security_context, NULL);
}

/*
 * In a transaction of a job launched in a security context, make sure the
 * context is set: after each transaction command (a chained transaction,
 * COMMIT AND CHAIN, starts inside the commit whose callback cleared it).
 */
void
pgbg_identity_enter_transaction(void)
{
	Oid			user;
	int			sec_context;

	if (job_sec_context == 0 || !IsTransactionState())
		return;
	GetUserIdAndSecContext(&user, &sec_context);
	if (user != job_user || sec_context != job_sec_context)
		SetUserIdAndSecContext(job_user, job_sec_context);
}

/* The launcher's role setting: a role OID, or none. */
static void
restore_role(Oid role)
{
	const char *name = "none";

	if (OidIsValid(role))
	{
		name = GetUserNameFromId(role, true);
		if (name == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("role with OID %u does not exist", role),
					 errdetail("The launching session's role was dropped before the background worker took on its identity.")));
	}
	(void) set_config_option("role", name, PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SET, true, ERROR, false);
}

static void
restore_settings(char *gucstate)
{
	bool		read_only = XactReadOnly;

	XactReadOnly = false;
	PG_TRY();
	{
		RestoreGUCState(gucstate);
	}
	PG_FINALLY();
	{
		XactReadOnly = read_only;
	}
	PG_END_TRY();
}

/*
 * Connect as the launcher's authenticated user (first job), then take on
 * the launcher's settings, role, current user.  The security context
 * follows with each transaction of the job.
 */
void
pgbg_become_launcher(PgbgFixed *fixed, char *gucstate, bool *connected)
{
	placeholders_at_start = NULL;
	if (!*connected)
	{
		BackgroundWorkerInitializeConnectionByOid(fixed->database_id,
												  fixed->authenticated_user_id,
												  0);
		*connected = true;
	}
	else if (fixed->database_id != MyDatabaseId ||
			 fixed->authenticated_user_id != GetAuthenticatedUserId())
		elog(ERROR, "background worker was handed a job of another database or user");

	/* Parallel workers do the same: the launcher expects our encoding. */
	SetClientEncoding(GetDatabaseEncoding());

	StartTransactionCommand();
	if (strcmp(get_database_name(fixed->database_id),
			   NameStr(fixed->database)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("database \"%s\" was renamed while the background worker started",
						NameStr(fixed->database))));
	restore_settings(gucstate);
	restore_role(fixed->identity.outer_role_id);
	if (placeholder_cxt == NULL)
		placeholder_cxt = AllocSetContextCreate(TopMemoryContext,
												"pg_background placeholders",
												ALLOCSET_SMALL_SIZES);
	MemoryContextReset(placeholder_cxt);
	placeholders_at_start = placeholder_names(&nplaceholders_at_start);
	CommitTransactionCommand();

	/* RestoreGUCState set client_encoding back to the launcher's. */
	SetClientEncoding(GetDatabaseEncoding());

	job_user = fixed->identity.current_user_id;
	job_sec_context = fixed->identity.sec_context;
	SetUserIdAndSecContext(job_user, 0);
}

/*
 * Did the job create settings a fresh worker would not have?  Placeholders
 * of custom settings (SET myapp.flag) cannot be removed: any placeholder
 * not there when the job began.  (A library the job loads, PL/pgSQL say,
 * turns placeholders into its own settings: that is no new name.)
 */
bool
pgbg_job_added_settings(void)
{
	int			n;
	char	  **now;
	bool		added = false;

	if (placeholders_at_start == NULL)
		return true;			/* the job failed before its settings */
	now = placeholder_names(&n);
	for (int i = 0; i < n && !added; i++)
		added = bsearch(&now[i], placeholders_at_start, nplaceholders_at_start,
						sizeof(char *), compare_names) == NULL;
	return added;
}
