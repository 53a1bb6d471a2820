/*
 * relay.c
 *		Turn an ErrorResponse/NoticeResponse of a worker into an ErrorData
 *		and throw it in the launcher, keeping the worker's SQLSTATE, message,
 *		detail, hint and context, and adding one context line that names the
 *		worker (as parallel.c does for parallel workers).
 */
#include "postgres.h"

#include "utils/elog.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "relay.h"

/* Longest SQL string we attach to an error as its internal query. */
#define MAX_INTERNAL_QUERY	(64 * 1024)

/*
 * errfinish() keeps the file and function name pointers as they are (they
 * are normally string literals), and a PL/pgSQL handler may re-throw them
 * after our memory is gone.  Intern them in TopMemoryContext; the set of
 * source file and function names is small, and bounded here anyway.
 */
static const char *
intern(const char *s)
{
	static HTAB *strings = NULL;
	char		key[NAMEDATALEN];
	bool		found;
	char	   *entry;

	if (s == NULL || strlen(s) >= NAMEDATALEN)
		return NULL;
	if (strings == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = NAMEDATALEN;
		ctl.entrysize = NAMEDATALEN;
		ctl.hcxt = TopMemoryContext;
		strings = hash_create("pg_background interned names", 64, &ctl,
							  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	if (hash_get_num_entries(strings) >= 4096)
		return hash_search(strings, s, HASH_FIND, NULL);
	strlcpy(key, s, NAMEDATALEN);
	entry = hash_search(strings, key, HASH_ENTER, &found);
	return entry;
}

static int
elevel_of(const char *severity, bool is_error)
{
	if (is_error || severity == NULL)
		return is_error ? ERROR : NOTICE;
	if (strcmp(severity, "WARNING") == 0)
		return WARNING;
	if (strcmp(severity, "NOTICE") == 0)
		return NOTICE;
	if (strcmp(severity, "INFO") == 0)
		return INFO;
	if (strcmp(severity, "LOG") == 0)
		return LOG;
	if (strcmp(severity, "DEBUG") == 0)
		return DEBUG1;
	return NOTICE;
}

static void
worker_context(void *arg)
{
	errcontext("background worker, pid %d", *(int32 *) arg);
}

void
pgbg_relay(const char *const *fields, bool is_error, int32 pid, const char *sql)
{
	ErrorData	edata;
	const char *sqlstate = fields[PGBG_EF_SQLSTATE];
	const char *severity = fields[PGBG_EF_SEVERITY_NL];
	ErrorContextCallback cb;

	if (severity == NULL)
		severity = fields[PGBG_EF_SEVERITY];

	memset(&edata, 0, sizeof(edata));
	edata.elevel = elevel_of(severity, is_error);
	if (sqlstate != NULL)
		edata.sqlerrcode = MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2],
										 sqlstate[3], sqlstate[4]);
	else
		edata.sqlerrcode = is_error ? ERRCODE_INTERNAL_ERROR :
			(edata.elevel == WARNING ? ERRCODE_WARNING : ERRCODE_SUCCESSFUL_COMPLETION);
	edata.message = (char *) fields[PGBG_EF_MESSAGE];
	edata.detail = (char *) fields[PGBG_EF_DETAIL];
	edata.hint = (char *) fields[PGBG_EF_HINT];
	edata.context = (char *) fields[PGBG_EF_CONTEXT];
	edata.schema_name = (char *) fields[PGBG_EF_SCHEMA];
	edata.table_name = (char *) fields[PGBG_EF_TABLE];
	edata.column_name = (char *) fields[PGBG_EF_COLUMN];
	edata.datatype_name = (char *) fields[PGBG_EF_DATATYPE];
	edata.constraint_name = (char *) fields[PGBG_EF_CONSTRAINT];
	edata.filename = intern(fields[PGBG_EF_FILE]);
	edata.funcname = intern(fields[PGBG_EF_ROUTINE]);
	if (fields[PGBG_EF_LINE] != NULL)
		edata.lineno = atoi(fields[PGBG_EF_LINE]);

	/*
	 * A position in the worker's own statement points into our SQL string,
	 * not into the launcher's query: report it as an internal query.
	 */
	if (fields[PGBG_EF_INTERNAL_POS] != NULL)
	{
		edata.internalpos = atoi(fields[PGBG_EF_INTERNAL_POS]);
		edata.internalquery = (char *) fields[PGBG_EF_INTERNAL_QUERY];
	}
	else if (fields[PGBG_EF_POSITION] != NULL && sql != NULL &&
			 strlen(sql) <= MAX_INTERNAL_QUERY)
	{
		edata.internalpos = atoi(fields[PGBG_EF_POSITION]);
		edata.internalquery = (char *) sql;
	}

	cb.callback = worker_context;
	cb.arg = &pid;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	ThrowErrorData(&edata);
	error_context_stack = cb.previous;

	if (is_error)				/* ThrowErrorData returns only below ERROR */
		elog(ERROR, "background worker error was not raised");
}
