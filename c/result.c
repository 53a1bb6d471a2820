/*
 * result.c
 *		pg_background_result(): read a worker's protocol messages from its
 *		queue, have Go parse them, and materialize the rows.
 *
 * The wait loop.  The worker sets our latch whenever it writes into the
 * queue (shm_mq_send) and when it detaches; the postmaster sets it (via
 * SIGUSR1, bgw_notify_pid) when the worker stops.  We drain the queue
 * without blocking and cross into Go once per queue message, parsing it in
 * place: rows arrive in batches of many DataRows per message
 * (c/worker_dest.c), so that is once per batch.  Draining frees queue
 * space, which wakes the worker, so worker and launcher run in parallel.
 * When the queue is empty we wait (c/result_wait.c): for the latch,
 * interrupts (cancel, statement_timeout, termination), a client that goes
 * away, and every deadlock_timeout a check for a deadlock with the worker
 * (c/deadlock.c).
 *
 * Memory.  Only the result (tuplestore, tuple descriptor) lives in the
 * query's memory; everything else a call needs (parse arrays, column plans,
 * an ExprContext) lives in a context of its own, deleted when the call
 * returns, so that many calls in one query (LATERAL) do not add up.
 *
 * Encoding.  The worker sends text in the database encoding.  Receive
 * functions of text-like types convert from the session's client_encoding
 * (pq_getmsgtext), so while rows are decoded the session's client encoding
 * is set to the database's, and set back before anything is reported.
 */
#include "postgres.h"

#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "pg_background.h"
#include "pgbg_go.h"
#include "pgbg_wait.h"
#include "relay.h"
#include "result_decode.h"

PG_FUNCTION_INFO_V1(pg_background_result);

/* Enough for a batch of the worker's (64 kB) in most cases; grown on need. */
#define INITIAL_EVENTS		8192
#define INITIAL_SPANS		(16 * 1024)
#define INITIAL_COLS		256
#define INITIAL_TEXT		(128 * 1024)

typedef struct ResultReader
{
	PgbgWorker *w;
	int32		pid;
	TupleDesc	desc;			/* the column definition list */
	Tuplestorestate *store;
	ResultPlan	plan;
	bool		got_rowdesc;	/* some statement returned rows */
	char	   *last_tag;		/* last command tag, if none did */
	bool		done;			/* ReadyForQuery seen */

	/* the message being parsed, in the queue or the handle's buffer */
	PgbgRawMsg msg;

	/* Go's output arrays, reused message after message */
	PgbgParseOut out;
	bool		out_kept;		/* they are kept_out's (see take_out) */
	Datum	   *values;
	bool	   *isnull;

	/* set while the session's client encoding is the database's */
	bool		db_encoding;
	int			client_encoding;

	/*
	 * The worker's error, copied, raised once the job's output has been
	 * read up to its ReadyForQuery (which follows an error at once): the
	 * worker has then finished its job and can be given another.
	 */
	char	   *error[PGBG_EF_COUNT];
	bool		has_error;
} ResultReader;

static void
protocol_error(ResultReader *r, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("invalid message from background worker with PID %d: %s",
					r->pid, what)));
}

/*
 * The parse arrays (about 0.6 MB) of the outermost read, kept from one call
 * to the next in TopMemoryContext: allocating and freeing them per call made
 * glibc map and unmap (or grow and trim) that memory every call, a third of
 * a short job's launcher time.  A nested read (user code inside a read)
 * makes its own; arrays grown past KEPT_OUT_MAX are not kept.
 */
#define KEPT_OUT_MAX		((Size) 8 * 1024 * 1024)
static PgbgParseOut kept_out;
static bool kept_out_ready = false;
static bool kept_out_busy = false;

static void init_out(PgbgParseOut *out);

static void
take_out(ResultReader *r)
{
	if (kept_out_busy)
	{
		init_out(&r->out);		/* in the call's context */
		return;
	}
	if (!kept_out_ready)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		init_out(&kept_out);
		MemoryContextSwitchTo(old);
		kept_out_ready = true;
	}
	r->out = kept_out;
	r->out_kept = true;
	kept_out_busy = true;
}

/* The read is over (or failed): keep its arrays, as grown, for the next. */
static void
give_back_out(ResultReader *r)
{
	PgbgParseOut *out = &r->out;

	if (!r->out_kept)
		return;
	r->out_kept = false;
	kept_out_busy = false;
	if ((Size) out->text_cap + (Size) out->spans_cap * (sizeof(PgbgSpan) + sizeof(uint64_t)) +
		(Size) out->events_cap * sizeof(PgbgEvent) > KEPT_OUT_MAX)
	{
		pfree(out->events);
		pfree(out->spans);
		pfree(out->datums);
		pfree(out->cols);
		pfree(out->text);
		kept_out_ready = false;
		return;
	}
	kept_out = *out;
}

static void
init_out(PgbgParseOut *out)
{
	memset(out, 0, sizeof(PgbgParseOut));
	out->events_cap = INITIAL_EVENTS;
	out->events = palloc(sizeof(PgbgEvent) * out->events_cap);
	out->spans_cap = INITIAL_SPANS;
	out->spans = palloc(sizeof(PgbgSpan) * out->spans_cap);
	out->datums = palloc(sizeof(uint64_t) * out->spans_cap);
	out->cols_cap = INITIAL_COLS;
	out->cols = palloc(sizeof(PgbgColumn) * out->cols_cap);
	out->text_cap = INITIAL_TEXT;
	out->text = palloc(out->text_cap);
}

/* Grow the array Go said was too small for one message. */
static void
grow_out(ResultReader *r)
{
	PgbgParseOut *out = &r->out;
	bool		grew = false;

	if (out->events_need > out->events_cap)
	{
		out->events_cap = out->events_need;
		out->events = repalloc_huge(out->events, sizeof(PgbgEvent) * (Size) out->events_cap);
		grew = true;
	}
	if (out->spans_need > out->spans_cap)
	{
		out->spans_cap = out->spans_need;
		out->spans = repalloc_huge(out->spans, sizeof(PgbgSpan) * (Size) out->spans_cap);
		out->datums = repalloc_huge(out->datums, sizeof(uint64_t) * (Size) out->spans_cap);
		grew = true;
	}
	if (out->cols_need > out->cols_cap)
	{
		out->cols_cap = out->cols_need;
		out->cols = repalloc(out->cols, sizeof(PgbgColumn) * out->cols_cap);
		grew = true;
	}
	if (out->text_need > out->text_cap)
	{
		out->text_cap = out->text_need;
		out->text = repalloc_huge(out->text, out->text_cap);
		grew = true;
	}
	if (!grew)
		protocol_error(r, "parser made no progress");
}

static void handle_event_list(ResultReader *r);

static void
handle_rowdesc(ResultReader *r, const PgbgEvent *ev)
{
	pgbg_plan_columns(&r->plan, r->desc, &r->out.cols[ev->first], ev->count);
	r->got_rowdesc = true;
}

/*
 * Decode rows in the database encoding (see the top of the file), or stop
 * doing so.  SetClientEncoding only switches to a conversion the session
 * has prepared: its own client_encoding's.
 */
static void
use_db_encoding(ResultReader *r, bool on)
{
	if (on == r->db_encoding)
		return;
	if (on)
	{
		r->client_encoding = pg_get_client_encoding();
		if (r->client_encoding == GetDatabaseEncoding())
			return;
		SetClientEncoding(GetDatabaseEncoding());
		r->db_encoding = true;
	}
	else
	{
		r->db_encoding = false;
		if (SetClientEncoding(r->client_encoding) < 0)
			elog(WARNING, "could not restore client encoding %s",
				 pg_encoding_to_char(r->client_encoding));
	}
}

static void
handle_datarow(ResultReader *r, const PgbgEvent *ev)
{
	DecodeSource src;

	if (!r->got_rowdesc)
		protocol_error(r, "DataRow without RowDescription");
	use_db_encoding(r, true);
	src.msgs = &r->msg;
	src.text = r->out.text;
	pgbg_decode_row(&r->plan, &src, &r->out.spans[ev->first],
					&r->out.datums[ev->first], ev->count,
					r->values, r->isnull, r->pid);
	tuplestore_putvalues(r->store, r->desc, r->values, r->isnull);
	ResetExprContext(r->plan.econtext);
}

static void
handle_command(ResultReader *r, const PgbgEvent *ev)
{
	const PgbgSpan *tag = &r->out.spans[ev->first];

	if (r->got_rowdesc)
		return;
	if (r->last_tag != NULL)
		pfree(r->last_tag);
	r->last_tag = pnstrdup(pgbg_span_ptr(&r->msg, r->out.text, tag), tag->len);
}

/* FATAL or PANIC, by the non-localized severity when the worker sent it */
static bool
is_fatal(const char *const *fields)
{
	const char *severity = fields[PGBG_EF_SEVERITY_NL] ?
		fields[PGBG_EF_SEVERITY_NL] : fields[PGBG_EF_SEVERITY];

	return severity != NULL &&
		(strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0);
}

/* "background worker then exited: <message>", after the error's context */
static void
add_exit_context(ResultReader *r, const char *message)
{
	char	   *context = r->error[PGBG_EF_CONTEXT];

	r->error[PGBG_EF_CONTEXT] =
		psprintf("%s%sbackground worker then exited: %s",
				 context ? context : "", context ? "\n" : "",
				 message ? message : "");
}

/* A notice is relayed now, an error is kept until the output is read. */
static void
handle_report(ResultReader *r, const PgbgEvent *ev)
{
	const char *fields[PGBG_EF_COUNT];

	use_db_encoding(r, false);
	for (int i = 0; i < PGBG_EF_COUNT; i++)
	{
		const PgbgSpan *f = &r->out.spans[ev->first + i];

		fields[i] = f->len < 0 ? NULL : pgbg_span_ptr(&r->msg, r->out.text, f);
	}
	if (ev->kind == PGBG_EV_NOTICE)
	{
		pgbg_relay(fields, false, r->pid, r->w->sql);
		return;
	}
	if (r->has_error)
	{
		/*
		 * An ERROR ends the job, so only the FATAL of a worker that exits
		 * (terminated while it recovered) can follow one.  The ERROR is what
		 * the job did: it is raised, and the exit is told in its context.
		 */
		if (!is_fatal(fields))
			protocol_error(r, "a second ErrorResponse");
		add_exit_context(r, fields[PGBG_EF_MESSAGE]);
		return;
	}
	for (int i = 0; i < PGBG_EF_COUNT; i++)
		r->error[i] = fields[i] ? pstrdup(fields[i]) : NULL;
	r->has_error = true;
}

/* Raise the worker's error, if it reported one. */
static void
raise_worker_error(ResultReader *r)
{
	if (r->has_error)
		pgbg_relay((const char *const *) r->error, true, r->pid, r->w->sql);
}

/* Act on the events of one Go call, in message order. */
static void
handle_events(ResultReader *r)
{
	PG_TRY();
	{
		handle_event_list(r);
	}
	PG_FINALLY();
	{
		use_db_encoding(r, false);
	}
	PG_END_TRY();
}

static void
handle_event_list(ResultReader *r)
{
	for (int i = 0; i < r->out.nevents; i++)
	{
		const PgbgEvent *ev = &r->out.events[i];

		switch (ev->kind)
		{
			case PGBG_EV_ROWDESC:
				handle_rowdesc(r, ev);
				break;
			case PGBG_EV_DATAROW:
				handle_datarow(r, ev);
				break;
			case PGBG_EV_COMMAND:
				handle_command(r, ev);
				break;
			case PGBG_EV_ERROR:
			case PGBG_EV_NOTICE:
				handle_report(r, ev);
				break;
			case PGBG_EV_READY:
				r->done = true;
				break;
			case PGBG_EV_EMPTY:
			case PGBG_EV_IGNORED:
				break;
			case PGBG_EV_COPY:
				protocol_error(r, "unexpected COPY protocol message");
				break;
			default:
				protocol_error(r, "unknown event kind");
		}
	}
}

/* Hand msgs[0..n) to Go and act on what it made of them. */
static void
parse_messages(ResultReader *r, const PgbgRawMsg *msgs, int n)
{
	char		errbuf[512];
	int			done = 0;

	while (done < n)
	{
		PgbgParseOut *out = &r->out;
		int32		rc;

		out->conv = r->got_rowdesc ? r->plan.conv : NULL;
		out->nconv = r->got_rowdesc ? r->plan.natts : 0;
		out->nevents = out->nspans = out->ncols = out->text_used = 0;
		out->events_need = out->spans_need = out->cols_need = out->text_need = 0;
		out->consumed = 0;
		errbuf[0] = '\0';

		rc = pgbg_go_parse(&msgs[done], n - done, out, errbuf, sizeof(errbuf));

		/* Go has returned: from here on we may raise errors. */
		if (out->consumed < 0 || out->consumed > n - done ||
			out->nevents > out->events_cap || out->nspans > out->spans_cap ||
			out->ncols > out->cols_cap || out->text_used > out->text_cap)
			elog(ERROR, "Go parser returned inconsistent counts");
		handle_events(r);
		if (rc == PGBG_ERR_PROTOCOL)
			protocol_error(r, errbuf);
		if (rc < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("internal error in the pg_background Go library: %s",
							errbuf)));
		if (rc == PGBG_FULL && out->consumed == 0)
			grow_out(r);
		done += out->consumed;
	}
}

/*
 * Parse one message just received, in place: its memory is valid only
 * until the next shm_mq_receive, and every event it made is handled (rows
 * copied into the tuplestore) before that.
 */
static void
take_message(ResultReader *r, const char *data, Size nbytes)
{
	if (nbytes == 0)
		protocol_error(r, "empty message");
	if (nbytes - 1 > PG_INT32_MAX)
		protocol_error(r, "message too large");
	r->msg.type = (uint8_t) data[0];
	r->msg.body = (const uint8_t *) data + 1;
	r->msg.len = (uint32_t) (nbytes - 1);
	parse_messages(r, &r->msg, 1);
}

static void
read_until_done(ResultReader *r)
{
	TimestampTz next_check = 0;

	while (!r->done)
	{
		Size		nbytes;
		void	   *data;
		shm_mq_result res;

		res = pgbg_job_receive(r->w, &nbytes, &data);
		if (res == SHM_MQ_SUCCESS)
		{
			take_message(r, data, nbytes);
			next_check = 0;		/* progress: the worker is not blocked */
			continue;
		}

		if (res == SHM_MQ_DETACHED)
		{
			/* a worker's FATAL: its report, then the detach */
			raise_worker_error(r);
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("lost connection to background worker with PID %d",
							r->pid),
					 errdetail("The worker exited before it finished its work.")));
		}

		pgbg_wait_for_worker(r->pid, &next_check, 0);
	}
}

/* No statement returned rows: the result is the last command tag. */
static void
emit_command_tag(ResultReader *r)
{
	PgbgRawMsg	msg;
	PgbgSpan	tag;
	uint64_t	unused = 0;
	DecodeSource src;

	if (r->last_tag == NULL)
		return;
	pgbg_plan_command_tag(&r->plan, r->desc);
	msg.type = 'C';
	msg.body = (const uint8_t *) r->last_tag;
	msg.len = strlen(r->last_tag);
	tag.src = 0;
	tag.off = 0;
	tag.len = msg.len;
	src.msgs = &msg;
	src.text = NULL;
	pgbg_decode_row(&r->plan, &src, &tag, &unused, 1, r->values, r->isnull,
					r->pid);
	tuplestore_putvalues(r->store, r->desc, r->values, r->isnull);
	ResetExprContext(r->plan.econtext);
}

static TupleDesc
declared_tupdesc(FunctionCallInfo fcinfo, ReturnSetInfo *rsinfo)
{
	TupleDesc	desc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record"),
				 errhint("Add a column definition list, e.g. AS (result text).")));
	return desc;
}

/*
 * Read w's whole output into r->store.  The per-call memory is the current
 * context; the result goes into store_cxt.
 */
static void
read_result(ResultReader *r, TupleDesc desc, ReturnSetInfo *rsinfo,
			MemoryContext store_cxt)
{
	MemoryContext old = MemoryContextSwitchTo(store_cxt);

	r->desc = CreateTupleDescCopy(desc);
	r->store = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
									 false, work_mem);
	MemoryContextSwitchTo(old);
	take_out(r);
	r->values = palloc(sizeof(Datum) * Max(r->desc->natts, 1));
	r->isnull = palloc(sizeof(bool) * Max(r->desc->natts, 1));

	/* tuplestore_putvalues copies rows into the store's own context */
	read_until_done(r);
	if (r->has_error)
	{
		/* All of it was read: the worker may take another job. */
		r->w->read = true;
		raise_worker_error(r);
	}
	if (!r->got_rowdesc)
		emit_command_tag(r);
}

Datum
pg_background_result(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("PID must not be null")));
	return pgbg_read_result(fcinfo, pgbg_worker_find(PG_GETARG_INT32(0), "read"));
}

/*
 * Read the whole result of job w (found for "read") as fcinfo's result
 * set, then forget the job.
 */
Datum
pgbg_read_result(FunctionCallInfo fcinfo, PgbgWorker *w)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ResultReader r;
	MemoryContext call_cxt;
	MemoryContext oldcontext;
	TupleDesc	desc;
	PgbgWorker *interrupted;

	if (w->submitted)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("background job with PID %d was submitted: its result is not kept", w->pid),
				 errhint("Use pg_background_launch_v2 for a job whose result is read.")));
	desc = declared_tupdesc(fcinfo, rsinfo);

	memset(&r, 0, sizeof(r));
	r.pid = w->pid;
	r.w = w;

	/*
	 * From here an error makes the session forget the worker, and the end
	 * of the session (a lost client, pg_terminate_backend) terminates it, as
	 * the session's own query would be (session.c).
	 */
	call_cxt = AllocSetContextCreate(CurrentMemoryContext,
									 "pg_background_result",
									 ALLOCSET_DEFAULT_SIZES);
	interrupted = pgbg_worker_start_reading(r.w);
	PG_TRY();
	{
		oldcontext = MemoryContextSwitchTo(call_cxt);
		read_result(&r, desc, rsinfo, rsinfo->econtext->ecxt_per_query_memory);
		MemoryContextSwitchTo(oldcontext);
	}
	PG_CATCH();
	{
		give_back_out(&r);
		pgbg_worker_forget(r.w);
		pgbg_worker_end_reading(interrupted);
		PG_RE_THROW();
	}
	PG_END_TRY();
	give_back_out(&r);

	/* Read once: the worker is done, and so is the session with it. */
	r.w->read = true;
	pgbg_worker_forget(r.w);
	pgbg_worker_end_reading(interrupted);
	if (r.plan.econtext != NULL)
		FreeExprContext(r.plan.econtext, true);
	MemoryContextDelete(call_cxt);

	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = r.store;
	rsinfo->setDesc = r.desc;
	return (Datum) 0;
}
