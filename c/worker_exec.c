/*
 * worker_exec.c
 *		Run the SQL string in the worker the way the simple query protocol
 *		runs a multi-statement string (modelled on exec_simple_query):
 *		one implicit transaction block around several statements, a fresh
 *		snapshot and a CommandCounterIncrement per statement (so each
 *		statement sees the writes of the ones before it), and a statement
 *		that is the whole string runs as top level, which VACUUM, CREATE
 *		INDEX CONCURRENTLY and CREATE DATABASE need.
 *
 * Rows go into the queue in batches (worker_dest.c); everything else goes
 * through DestRemote, i.e. into the queue too (pq_redirect_to_shm_mq).
 * Columns go in binary where the type (and everything inside it) has
 * send/receive functions, otherwise in text.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/printtup.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "storage/proc.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/ps_status.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/typcache.h"

#include "pg_background.h"
#include "pgbg_bridge.h"
#include "pgbg_compat.h"

/*
 * Can values of this type travel in binary?  That needs send and receive
 * functions for the type and for every type nested in it.  Anonymous
 * records go as text: record_recv cannot resolve them in the launcher.
 */
static bool
type_has_binary_io(Oid typid, int depth)
{
	HeapTuple	tup;
	Form_pg_type typ;
	bool		ok;

	check_stack_depth();
	if (typid == RECORDOID || depth > 32)
		return false;
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
		return false;
	typ = (Form_pg_type) GETSTRUCT(tup);
	ok = OidIsValid(typ->typsend) && OidIsValid(typ->typreceive);

	if (ok && typ->typtype == TYPTYPE_DOMAIN)
		ok = type_has_binary_io(typ->typbasetype, depth + 1);
	else if (ok && OidIsValid(typ->typelem) && typ->typlen == -1)
		ok = type_has_binary_io(typ->typelem, depth + 1);
	else if (ok && typ->typtype == TYPTYPE_RANGE)
		ok = type_has_binary_io(get_range_subtype(typid), depth + 1);
	else if (ok && typ->typtype == TYPTYPE_MULTIRANGE)
		ok = type_has_binary_io(get_multirange_range(typid), depth + 1);
	else if (ok && typ->typtype == TYPTYPE_COMPOSITE)
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(typid, -1);

		for (int i = 0; ok && i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (!att->attisdropped)
				ok = type_has_binary_io(att->atttypid, depth + 1);
		}
		ReleaseTupleDesc(desc);
	}
	ReleaseSysCache(tup);
	return ok;
}

/*
 * Binary where the type has binary I/O; and then, for varlena types, our
 * internal format (PGBG_FORMAT_INTERNAL, see pgbg_bridge.h): the flattened
 * value itself, which saves the send and receive functions (jsonb's send
 * renders JSON text, its receive parses it again).
 */
static void
set_result_formats(Portal portal)
{
	TupleDesc	desc = portal->tupDesc;
	int16	   *formats;

	if (desc == NULL)
		return;
	formats = palloc(sizeof(int16) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Oid			type = TupleDescAttr(desc, i)->atttypid;

		if (!type_has_binary_io(type, 0))
			formats[i] = 0;
		else if (get_typlen(type) == -1)
			formats[i] = PGBG_FORMAT_INTERNAL;
		else
			formats[i] = 1;
	}
	/* PortalSetResultFormat copies the codes without checking them. */
	PortalSetResultFormat(portal, desc->natts, formats);
	pfree(formats);
}

/* COPY to or from the client has no client to talk to here. */
static void
reject_client_copy(RawStmt *parsetree)
{
	if (IsA(parsetree->stmt, CopyStmt))
	{
		CopyStmt   *copy = (CopyStmt *) parsetree->stmt;

		if (copy->filename == NULL && !copy->is_program)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("COPY %s is not supported in a background worker",
							copy->is_from ? "FROM STDIN" : "TO STDOUT"),
					 errhint("Use COPY with a file name, or INSERT and SELECT.")));
	}
}

static void
run_statement(RawStmt *parsetree, const char *sql, MemoryContext tree_cxt,
			  Size queue_size)
{
	CommandTag	tag = CreateCommandTag(parsetree->stmt);
	bool		snapshot_set = false;
	List	   *querytrees;
	List	   *plantrees;
	Portal		portal;
	DestReceiver *receiver;
	QueryCompletion qc;
	MemoryContext oldcontext;

	set_ps_display(GetCommandTagName(tag));
	reject_client_copy(parsetree);

	if (analyze_requires_snapshot(parsetree))
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_set = true;
	}
	oldcontext = MemoryContextSwitchTo(tree_cxt);
	querytrees = pgbg_analyze_and_rewrite(parsetree, sql);
	plantrees = pg_plan_queries(querytrees, sql, CURSOR_OPT_PARALLEL_OK, NULL);
	MemoryContextSwitchTo(oldcontext);
	if (snapshot_set)
		PopActiveSnapshot();

	CHECK_FOR_INTERRUPTS();

	portal = CreatePortal("", true, true);
	portal->visible = false;
	PortalDefineQuery(portal, NULL, sql, tag, plantrees, NULL);
	PortalStart(portal, NULL, 0, InvalidSnapshot);
	set_result_formats(portal);

	/* The receiver too must survive a commit inside PortalRun. */
	oldcontext = MemoryContextSwitchTo(tree_cxt);
	receiver = pgbg_create_row_sender(portal, queue_size);
	(void) pgbg_portal_run(portal, receiver, &qc);
	receiver->rDestroy(receiver);
	PortalDrop(portal, false);
	MemoryContextSwitchTo(oldcontext);

	/*
	 * The launcher reads text in the database encoding: a SET client_encoding
	 * in the SQL string must not change what we send (worker_dest.c).
	 */
	SetClientEncoding(GetDatabaseEncoding());

	EndCommand(&qc, DestRemote, false);
}

void
pgbg_execute_sql_string(const char *sql, Size queue_size)
{
	List	   *parsetrees;
	bool		implicit_block;
	ListCell   *lc;
	MemoryContext oldcontext;

	/*
	 * Parse and plan trees must outlive the transaction: VACUUM and CREATE
	 * INDEX CONCURRENTLY commit and restart it under our feet (this is the
	 * job of MessageContext in a backend).  Reset at the start of every job,
	 * so a job that failed leaves nothing behind either.
	 */
	static MemoryContext tree_cxt = NULL;

	if (tree_cxt == NULL)
		tree_cxt = AllocSetContextCreate(TopMemoryContext,
										 "pg_background statements",
										 ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(tree_cxt);

	debug_query_string = sql;
	pgstat_report_activity(STATE_RUNNING, sql);

	/* The statement timeout covers the whole string, as in psql -c. */
	if (StatementTimeout > 0)
		enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);

	StartTransactionCommand();
	oldcontext = MemoryContextSwitchTo(tree_cxt);
	parsetrees = pg_parse_query(sql);
	MemoryContextSwitchTo(oldcontext);
	if (parsetrees == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("SQL string contains no statement")));
	implicit_block = list_length(parsetrees) > 1;

	foreach(lc, parsetrees)
	{
		RawStmt    *parsetree = lfirst_node(RawStmt, lc);
		bool		last = (lnext(parsetrees, lc) == NULL);

		/* After BEGIN/COMMIT in the string the transaction was closed. */
		if (!IsTransactionState())
			StartTransactionCommand();
		if (implicit_block)
			BeginImplicitTransactionBlock();

		run_statement(parsetree, sql, tree_cxt, queue_size);

		if (last)
		{
			if (implicit_block)
				EndImplicitTransactionBlock();
			CommitTransactionCommand();
		}
		else if (IsA(parsetree->stmt, TransactionStmt))
			CommitTransactionCommand();
		else
			CommandCounterIncrement();
	}

	disable_timeout(STATEMENT_TIMEOUT, false);
	MemoryContextReset(tree_cxt);
	debug_query_string = NULL;
}
