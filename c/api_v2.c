/*
 * api_v2.c
 *		The v2 API of the original extension's 1.8 on handles (pid, cookie):
 *		launch, submit, result, detach, cancel, wait and progress.  The
 *		cookie names one job (c/session.c, pgbg_job_find); what the v1
 *		functions check (rights, re-entrant reads) applies to each.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "pg_background.h"

PG_FUNCTION_INFO_V1(pg_background_launch_v2);
PG_FUNCTION_INFO_V1(pg_background_submit_v2);
PG_FUNCTION_INFO_V1(pg_background_result_v2);
PG_FUNCTION_INFO_V1(pg_background_detach_v2);
PG_FUNCTION_INFO_V1(pg_background_cancel_v2);
PG_FUNCTION_INFO_V1(pg_background_cancel_v2_grace);
PG_FUNCTION_INFO_V1(pg_background_wait_v2);
PG_FUNCTION_INFO_V1(pg_background_wait_v2_timeout);
PG_FUNCTION_INFO_V1(pg_background_get_progress_v2);

/* The longest grace pg_background_cancel_v2_grace gives, as the original's. */
#define MAX_GRACE_MS	(3600 * 1000)

/* Are desc's columns exactly of these types? */
bool
pgbg_row_type_is(TupleDesc desc, const Oid *types, int ntypes)
{
	if (desc->natts != ntypes)
		return false;
	for (int i = 0; i < ntypes; i++)
		if (TupleDescAttr(desc, i)->attisdropped ||
			TupleDescAttr(desc, i)->atttypid != types[i])
			return false;
	return true;
}

/*
 * A row of the function's composite result type, whose columns must have
 * the types the values are of (the catalog's type is the extension's, but
 * never trust a layout for building tuples).
 */
Datum
pgbg_composite_result(FunctionCallInfo fcinfo, Datum *values, bool *nulls,
					  const Oid *types, int ntypes)
{
	TupleDesc	desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE ||
		!pgbg_row_type_is(desc, types, ntypes))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("result type of %s does not match the extension's",
						get_func_name(fcinfo->flinfo->fn_oid))));
	desc = BlessTupleDesc(desc);
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

static Datum
handle_of(FunctionCallInfo fcinfo, PgbgWorker *w)
{
	static const Oid types[] = {INT4OID, INT8OID};
	Datum		values[2];
	bool		nulls[2] = {false, false};

	values[0] = Int32GetDatum(w->pid);
	values[1] = Int64GetDatum((int64) w->cookie);
	return pgbg_composite_result(fcinfo, values, nulls, types, lengthof(types));
}

Datum
pg_background_launch_v2(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(handle_of(fcinfo, pgbg_launch(fcinfo, false)));
}

/*
 * Fire and forget: the worker sends nothing but its ReadyForQuery, and the
 * session forgets the job once it has ended (c/job_state.c).  Until then
 * the handle cancels, waits for, or detaches it.
 */
Datum
pg_background_submit_v2(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(handle_of(fcinfo, pgbg_launch(fcinfo, true)));
}

Datum
pg_background_result_v2(PG_FUNCTION_ARGS)
{
	return pgbg_read_result(fcinfo, pgbg_job_find(fcinfo, "read"));
}

Datum
pg_background_detach_v2(PG_FUNCTION_ARGS)
{
	pgbg_job_detach(pgbg_job_find(fcinfo, "detach"));
	PG_RETURN_VOID();
}

/*
 * Cancel: before the job's commit, nothing of it commits; after, nothing
 * changes.  Its result (the cancel's error) can still be read.
 */
Datum
pg_background_cancel_v2(PG_FUNCTION_ARGS)
{
	pgbg_job_request_cancel(pgbg_job_find(fcinfo, "cancel"));
	PG_RETURN_VOID();
}

/* Let the job run up to grace_ms more (at most an hour), then cancel it. */
Datum
pg_background_cancel_v2_grace(PG_FUNCTION_ARGS)
{
	PgbgWorker *w = pgbg_job_find(fcinfo, "cancel");
	int32		grace_ms;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("grace period must not be null")));
	grace_ms = PG_GETARG_INT32(2);
	if (grace_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("grace period must not be negative")));
	if (grace_ms > 0)
	{
		bool		ended;

		/* a wait that fails (interrupted, out of memory) cancels too */
		PG_TRY();
		{
			ended = pgbg_job_wait(w, Min(grace_ms, MAX_GRACE_MS));
		}
		PG_CATCH();
		{
			pgbg_job_request_cancel(w);
			PG_RE_THROW();
		}
		PG_END_TRY();
		if (ended)
			PG_RETURN_VOID();	/* it ended in time */
	}
	pgbg_job_request_cancel(w);
	PG_RETURN_VOID();
}

Datum
pg_background_wait_v2(PG_FUNCTION_ARGS)
{
	(void) pgbg_job_wait(pgbg_job_find(fcinfo, "wait for"), -1);
	PG_RETURN_VOID();
}

/* true: the job has ended; false: timeout_ms passed first. */
Datum
pg_background_wait_v2_timeout(PG_FUNCTION_ARGS)
{
	PgbgWorker *w = pgbg_job_find(fcinfo, "wait for");
	int32		timeout_ms;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("timeout must not be null")));
	timeout_ms = PG_GETARG_INT32(2);
	if (timeout_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must not be negative"),
				 errhint("Use pg_background_wait_v2 to wait without a timeout.")));
	PG_RETURN_BOOL(pgbg_job_wait(w, timeout_ms));
}

/* The progress the job last reported, or NULL. */
Datum
pg_background_get_progress_v2(PG_FUNCTION_ARGS)
{
	static const Oid types[] = {INT4OID, TEXTOID};
	PgbgWorker *w = pgbg_job_find(fcinfo, "read the progress of");
	Datum		values[2];
	bool		nulls[2] = {false, false};

	pgbg_job_refresh(w);
	if (w->js.progress_pct < 0)
		PG_RETURN_NULL();

	values[0] = Int32GetDatum(w->js.progress_pct);
	values[1] = CStringGetTextDatum(w->js.progress_msg);
	PG_RETURN_DATUM(pgbg_composite_result(fcinfo, values, nulls, types, lengthof(types)));
}
