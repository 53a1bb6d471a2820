/*
 * pgbg_probe.c
 *		A test-only module (built by regress/t/007_protocol.pl, never
 *		installed): SQL functions that make a background worker send
 *		protocol messages no SQL of a job can produce, to check how the
 *		launcher copes with them.
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(pgbg_probe_error_then_fatal);

/*
 * An ErrorResponse of severity ERROR, as EmitErrorReport sends it, then a
 * FATAL: a worker reporting its job's error, then terminated before it
 * could say ReadyForQuery.
 */
Datum
pgbg_probe_error_then_fatal(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	pq_beginmessage(&buf, 'E');
	pq_sendbyte(&buf, PG_DIAG_SEVERITY);
	pq_sendstring(&buf, "ERROR");
	pq_sendbyte(&buf, PG_DIAG_SEVERITY_NONLOCALIZED);
	pq_sendstring(&buf, "ERROR");
	pq_sendbyte(&buf, PG_DIAG_SQLSTATE);
	pq_sendstring(&buf, "22012");
	pq_sendbyte(&buf, PG_DIAG_MESSAGE_PRIMARY);
	pq_sendstring(&buf, "the job's own error");
	pq_sendbyte(&buf, '\0');
	pq_endmessage(&buf);
	ereport(FATAL,
			(errcode(ERRCODE_ADMIN_SHUTDOWN),
			 errmsg("terminating background worker \"pg_background\" due to administrator command")));
	PG_RETURN_VOID();
}
