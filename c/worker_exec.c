/*
 * worker_exec.c
 *		Run the SQL string in the worker the way exec_simple_query runs a
 *		query string: one implicit transaction block around several
 *		statements, each with its own transaction command, statement_timeout,
 *		snapshot and memory context, a CommandCounterIncrement between them
 *		(so each statement sees the writes of the ones before it), and a
 *		statement that is the whole string runs as top level, which VACUUM,
 *		CREATE INDEX CONCURRENTLY and CREATE DATABASE need.
 *
 * The result is the last statement's, as libpq's PQexec gives it: its rows
 * (RowDescription, then DataRows in batches, worker_dest.c), or its command
 * tag, sent after its commit.  Earlier statements' rows go to DestNone and
 * their command tags are not sent; notices and errors of every statement go
 * through DestRemote into the queue (pq_redirect_to_shm_mq).  Columns go in
 * binary where the type (and everything inside it) has send/receive
 * functions, otherwise in text.
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
#include "worker_internal.h"

/*
 * What a type allows, found by walking it and every type nested in it:
 *	binary: send and receive functions everywhere; anonymous records go as
 *	  text, record_recv cannot resolve them in the launcher.
 *	composite: a row type somewhere inside (arrays of, domains over, ranges
 *	  of, nested).  Such a value's bytes are laid out by its row type's
 *	  attributes as they were when the worker built it; an ALTER TYPE before
 *	  the launcher reads it would make the launcher misread them.
 *	  record_recv checks each column's type OID and the column count
 *	  instead, so those values go in binary, never in the internal format.
 */
typedef struct TypeTraits
{
	bool		binary;
	bool		composite;
} TypeTraits;

static void
walk_type(Oid typid, int depth, TypeTraits *t)
{
	HeapTuple	tup;
	Form_pg_type typ;

	check_stack_depth();
	if (typid == RECORDOID || depth > 32)
	{
		t->binary = false;
		t->composite = true;
		return;
	}
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
	{
		t->binary = false;
		return;
	}
	typ = (Form_pg_type) GETSTRUCT(tup);
	if (!OidIsValid(typ->typsend) || !OidIsValid(typ->typreceive))
		t->binary = false;

	if (typ->typtype == TYPTYPE_DOMAIN)
		walk_type(typ->typbasetype, depth + 1, t);
	else if (OidIsValid(typ->typelem) && typ->typlen == -1)
		walk_type(typ->typelem, depth + 1, t);
	else if (typ->typtype == TYPTYPE_RANGE)
		walk_type(get_range_subtype(typid), depth + 1, t);
	else if (typ->typtype == TYPTYPE_MULTIRANGE)
		walk_type(get_multirange_range(typid), depth + 1, t);
	else if (typ->typtype == TYPTYPE_COMPOSITE)
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(typid, -1);

		t->composite = true;
		for (int i = 0; t->binary && i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (!att->attisdropped)
				walk_type(att->atttypid, depth + 1, t);
		}
		ReleaseTupleDesc(desc);
	}
	ReleaseSysCache(tup);
}

/*
 * Binary where the type has binary I/O; and then, for varlena types without
 * a row type inside, our internal format (PGBG_FORMAT_INTERNAL, see
 * pgbg_bridge.h): the flattened value itself, which saves the send and
 * receive functions (jsonb's send renders JSON text, its receive parses it
 * again).
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
		TypeTraits	t = {true, false};

		walk_type(type, 0, &t);
		if (!t.binary)
			formats[i] = 0;
		else if (get_typlen(type) == -1 && !t.composite)
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

/* log_statement, as check_log_statement in postgres.c */
static bool
statement_logged(List *parsetrees)
{
	ListCell   *lc;

	if (log_statement == LOGSTMT_NONE)
		return false;
	if (log_statement == LOGSTMT_ALL)
		return true;
	foreach(lc, parsetrees)
	{
		if (GetCommandLogLevel((Node *) lfirst(lc)) <= log_statement)
			return true;
	}
	return false;
}

/*
 * The transaction-command bracket of exec_simple_query (start_xact_command,
 * finish_xact_command): a transaction command with its statement_timeout,
 * and the job's security context in every transaction it starts.
 */
static bool xact_started = false;

static void
start_xact_command(void)
{
	if (!xact_started)
	{
		StartTransactionCommand();
		xact_started = true;
		/* a cancel that came during the last commit stops us here */
		pgbg_job_new_transaction();
	}
	pgbg_identity_enter_transaction();
	/* as enable_statement_timeout: a running one keeps its start */
	if (StatementTimeout > 0)
	{
		if (!get_timeout_active(STATEMENT_TIMEOUT))
			enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);
	}
	else if (get_timeout_active(STATEMENT_TIMEOUT))
		disable_timeout(STATEMENT_TIMEOUT, false);
}

static void
finish_xact_command(void)
{
	if (get_timeout_active(STATEMENT_TIMEOUT))
		disable_timeout(STATEMENT_TIMEOUT, false);
	if (xact_started)
	{
		CommitTransactionCommand();
		xact_started = false;
		/* COMMIT AND CHAIN has begun the next transaction */
		pgbg_identity_enter_transaction();
	}
}

/*
 * Run one statement.  Only the last one's result goes to the launcher: its
 * rows now, its command tag (set in *qc) after its commit.  Parse analysis
 * and plan go into cxt, which must survive commits inside PortalRun.
 * Atomic (not top level) runs CALL and DO as inside a function, without
 * transaction control.
 */
static void
run_statement(RawStmt *parsetree, const char *sql, MemoryContext cxt,
			  bool last, bool atomic, Size queue_size, QueryCompletion *qc)
{
	CommandTag	tag = CreateCommandTag(parsetree->stmt);
	bool		snapshot_set = false;
	bool		top_level = true;
	List	   *querytrees;
	List	   *plantrees;
	Portal		portal;
	DestReceiver *receiver;
	MemoryContext oldcontext;

	pgstat_report_query_id(0, true);
	set_ps_display(GetCommandTagName(tag));
	reject_client_copy(parsetree);
	if (atomic && (IsA(parsetree->stmt, CallStmt) || IsA(parsetree->stmt, DoStmt)))
		top_level = false;

	CHECK_FOR_INTERRUPTS();
	if (analyze_requires_snapshot(parsetree))
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_set = true;
	}
	oldcontext = MemoryContextSwitchTo(cxt);
	querytrees = pgbg_analyze_and_rewrite(parsetree, sql);
	plantrees = pg_plan_queries(querytrees, sql, CURSOR_OPT_PARALLEL_OK, NULL);
	if (snapshot_set)
		PopActiveSnapshot();

	CHECK_FOR_INTERRUPTS();

	portal = CreatePortal("", true, true);
	portal->visible = false;
	PortalDefineQuery(portal, NULL, sql, tag, plantrees, NULL);
	PortalStart(portal, NULL, 0, InvalidSnapshot);
	if (last)
	{
		set_result_formats(portal);
		receiver = pgbg_create_row_sender(portal, queue_size);
	}
	else
		receiver = None_Receiver;
	(void) pgbg_portal_run(portal, top_level, receiver, qc);
	receiver->rDestroy(receiver);
	PortalDrop(portal, false);
	MemoryContextSwitchTo(oldcontext);

	/*
	 * The launcher reads text in the database encoding: a SET client_encoding
	 * in the SQL string must not change what we send (worker_dest.c).
	 */
	SetClientEncoding(GetDatabaseEncoding());
}

/*
 * Run the job's SQL string, reporting its result into the queue.  Memory:
 * the string's parse trees live in a context reset with every job (a
 * backend's MessageContext), each statement's analysis and plan in a child
 * deleted after it.  sec_context != 0: a job launched in a security context
 * (worker_identity.c), whose CALL and DO run atomic.
 */
void
pgbg_execute_sql_string(const char *sql, Size queue_size, int sec_context)
{
	List	   *parsetrees;
	bool		implicit_block;
	bool		logged;
	ListCell   *lc;
	MemoryContext oldcontext;
	char		msec[32];
	static MemoryContext tree_cxt = NULL;

	if (tree_cxt == NULL)
		tree_cxt = AllocSetContextCreate(TopMemoryContext,
										 "pg_background statements",
										 ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(tree_cxt);
	xact_started = false;

	debug_query_string = sql;
	pgstat_report_activity(STATE_RUNNING, sql);

	start_xact_command();
	oldcontext = MemoryContextSwitchTo(tree_cxt);
	parsetrees = pg_parse_query(sql);
	MemoryContextSwitchTo(oldcontext);
	logged = statement_logged(parsetrees);
	if (logged)
		ereport(LOG,
				(errmsg("statement: %s", sql),
				 errhidestmt(true)));
	if (parsetrees == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("SQL string contains no statement")));
	implicit_block = list_length(parsetrees) > 1;

	foreach(lc, parsetrees)
	{
		RawStmt    *parsetree = lfirst_node(RawStmt, lc);
		bool		last = (lnext(parsetrees, lc) == NULL);
		MemoryContext stmt_cxt = tree_cxt;
		QueryCompletion qc;

		start_xact_command();
		if (implicit_block)
			BeginImplicitTransactionBlock();
		if (!last)
			stmt_cxt = AllocSetContextCreate(tree_cxt, "pg_background statement",
											 ALLOCSET_DEFAULT_SIZES);

		run_statement(parsetree, sql, stmt_cxt, last, sec_context != 0,
					  queue_size, &qc);

		if (last)
		{
			if (implicit_block)
				EndImplicitTransactionBlock();
			pgbg_job_final_commit();
			finish_xact_command();
			pgbg_end_open_transaction_block();
			EndCommand(&qc, DestRemote, false);
		}
		else
		{
			if (IsA(parsetree->stmt, TransactionStmt))
				finish_xact_command();
			else
			{
				CommandCounterIncrement();
				if (get_timeout_active(STATEMENT_TIMEOUT))
					disable_timeout(STATEMENT_TIMEOUT, false);
			}
			MemoryContextDelete(stmt_cxt);
		}
	}
	finish_xact_command();

	switch (check_log_duration(msec, logged))
	{
		case 1:
			ereport(LOG,
					(errmsg("duration: %s ms", msec),
					 errhidestmt(true)));
			break;
		case 2:
			ereport(LOG,
					(errmsg("duration: %s ms  statement: %s", msec, sql),
					 errhidestmt(true)));
			break;
	}
	MemoryContextReset(tree_cxt);
	debug_query_string = NULL;
}
