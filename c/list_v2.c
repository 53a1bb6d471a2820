/*
 * list_v2.c
 *		pg_background_list_v2() and pg_background_stats_v2(): the session's
 *		jobs, one row per job (not per worker), and counts over them.
 *
 * Both first forget ended submitted jobs and copy out the output of jobs
 * whose worker has exited, as a launch does (c/session.c).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "pg_background.h"

PG_FUNCTION_INFO_V1(pg_background_list_v2);
PG_FUNCTION_INFO_V1(pg_background_stats_v2);

#define SQL_PREVIEW_LEN	120

/*
 * The types of pg_background_list_v2's documented column definition list
 * (pid, cookie, launched_at, user_id, queue_size, state, sql_preview,
 * last_error, consumed).
 */
static const Oid list_types[] = {
	INT4OID, INT8OID, TIMESTAMPTZOID, OIDOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, BOOLOID
};

static void
tidy_session(void)
{
	HTAB	   *jobs;

	pgbg_session_collect();
	jobs = pgbg_session_jobs();
	if (jobs != NULL)
		pgbg_spill_exited(jobs);
}

static void
check_list_columns(TupleDesc desc)
{
	if (!pgbg_row_type_is(desc, list_types, lengthof(list_types)))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column definition list of pg_background_list_v2 does not match its columns"),
				 errhint("Use AS (pid int4, cookie int8, launched_at timestamptz, user_id oid, queue_size int4, "
						 "state text, sql_preview text, last_error text, consumed bool).")));
}

static const char *
state_name(PgbgJobStatus status)
{
	switch (status)
	{
		case PGBG_STATUS_RUNNING:
			return "running";
		case PGBG_STATUS_DONE:
			return "stopped";
		case PGBG_STATUS_FAILED:
			break;
		case PGBG_STATUS_CANCELED:
		case PGBG_STATUS_TIMED_OUT:
			return "canceled";
	}
	return "error";
}

static Datum
sql_preview(const char *sql)
{
	int			len = strlen(sql);

	if (len > SQL_PREVIEW_LEN)
		len = pg_mbcliplen(sql, len, SQL_PREVIEW_LEN);
	return PointerGetDatum(cstring_to_text_with_len(sql, len));
}

/* The result of a set-returning function in materialize mode, empty. */
static void
materialize(FunctionCallInfo fcinfo, TupleDesc desc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	rsinfo->setDesc = CreateTupleDescCopy(desc);
	rsinfo->setResult = tuplestore_begin_heap(false, false, work_mem);
	MemoryContextSwitchTo(old);
	rsinfo->returnMode = SFRM_Materialize;
}

/*
 * One row per job of this session that the current user may name (has
 * the privileges of the launcher's current user).
 */
Datum
pg_background_list_v2(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HTAB	   *jobs;
	HASH_SEQ_STATUS status;
	PgbgWorker *w;
	TupleDesc	desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record"),
				 errhint("Call it in FROM with a column definition list, e.g. AS (pid int4, cookie int8, ...).")));
	check_list_columns(desc);
	materialize(fcinfo, desc);
	tidy_session();
	jobs = pgbg_session_jobs();
	if (jobs == NULL)
		return (Datum) 0;
	hash_seq_init(&status, jobs);
	while ((w = hash_seq_search(&status)) != NULL)
	{
		Datum		values[lengthof(list_types)];
		bool		nulls[lengthof(list_types)] = {0};

		if (!has_privs_of_role(GetUserId(), w->current_user_id))
			continue;
		pgbg_job_refresh(w);
		values[0] = Int32GetDatum(w->pid);
		values[1] = Int64GetDatum((int64) w->cookie);
		values[2] = TimestampTzGetDatum(w->launched_at);
		values[3] = ObjectIdGetDatum(w->current_user_id);
		values[4] = Int32GetDatum((int32) w->queue_size);
		values[5] = CStringGetTextDatum(state_name(w->js.status));
		if (w->sql != NULL)
			values[6] = sql_preview(w->sql);
		else
			nulls[6] = true;
		if (w->js.status != PGBG_STATUS_RUNNING && w->js.status != PGBG_STATUS_DONE)
			values[7] = CStringGetTextDatum(w->js.error);
		else
			nulls[7] = true;
		values[8] = BoolGetDatum(w->reading);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * Jobs this session launched, and how those that ended did (a job detached
 * while it ran, or whose launch rolled back, counts in none: its end is
 * not known).
 */
Datum
pg_background_stats_v2(PG_FUNCTION_ARGS)
{
	static const Oid types[] = {INT8OID, INT8OID, INT8OID, INT8OID, INT4OID, FLOAT8OID, INT4OID};
	Datum		values[lengthof(types)];
	bool		nulls[lengthof(types)] = {0};
	HTAB	   *jobs;

	tidy_session();
	jobs = pgbg_session_jobs();
	if (jobs != NULL)
	{
		HASH_SEQ_STATUS status;
		PgbgWorker *w;

		hash_seq_init(&status, jobs);
		while ((w = hash_seq_search(&status)) != NULL)
			if (!pgbg_job_running(w))
				pgbg_stats_count_end(w);
	}
	values[0] = Int64GetDatum(pgbg_stats.launched);
	values[1] = Int64GetDatum(pgbg_stats.completed);
	values[2] = Int64GetDatum(pgbg_stats.failed);
	values[3] = Int64GetDatum(pgbg_stats.canceled);
	values[4] = Int32GetDatum(pgbg_pool_running_jobs());
	values[5] = Float8GetDatum(pgbg_stats.ended > 0 ?
							   pgbg_stats.total_ms / pgbg_stats.ended : 0.0);
	values[6] = Int32GetDatum(pgbg_max_workers);
	PG_RETURN_DATUM(pgbg_composite_result(fcinfo, values, nulls, types, lengthof(types)));
}
