/*
 * result_decode.h
 *		How each column of the worker's rows becomes a Datum of the column
 *		the caller declared in its column definition list.
 */
#ifndef RESULT_DECODE_H
#define RESULT_DECODE_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "executor/execExpr.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/params.h"

#include "pgbg_bridge.h"

/* How a column's value becomes a Datum */
typedef enum ColumnMode
{
	COL_GO_BYVAL,				/* Go made the Datum: out->datums[k] */
	COL_GO_BYREF,				/* Go copied the value into out->text */
	COL_RECV,					/* binary: a receive function */
	COL_INPUT					/* text: an input function */
} ColumnMode;

/*
 * A column's plan: the mode gives a Datum of the declared type, or, when
 * coerce is set, of the worker's type, which PostgreSQL's assignment
 * coercion (casts, I/O conversion, typmods, domain checks) then turns into
 * the declared type.
 */
typedef struct ColumnPlan
{
	ColumnMode	mode;
	FmgrInfo	io;				/* COL_RECV, COL_INPUT: function to call */
	Oid			ioparam;
	int32		io_typmod;
	ExprState  *coerce;			/* NULL: no coercion */
	ParamListInfo params;		/* coerce only: holds the input value */
} ColumnPlan;

typedef struct ResultPlan
{
	int			natts;
	ColumnPlan *cols;
	int32	   *conv;			/* PGBG_CONV_* per column, handed to Go */
	ExprContext *econtext;		/* per-row memory for decoding */
	StringInfoData scratch;		/* NUL-terminated copy of the current value */
} ResultPlan;

/* Where Go's output spans point: the messages of the call, or out->text. */
typedef struct DecodeSource
{
	const PgbgRawMsg *msgs;
	const uint8_t *text;
} DecodeSource;

static inline const char *
pgbg_span_ptr(const PgbgRawMsg *msgs, const uint8_t *text, const PgbgSpan *sp)
{
	return (const char *) (sp->src == PGBG_SRC_TEXT ? text : msgs[sp->src].body) + sp->off;
}

/*
 * Build the plan for one RowDescription (cols[0..ncols)) against the
 * declared tuple descriptor.  Memory comes from the current context, which
 * must live as long as the result is being read.  Raises 42804 on a column
 * count mismatch or an unconvertible type pair.
 */
extern void pgbg_plan_columns(ResultPlan *plan, TupleDesc desc,
							  const PgbgColumn *cols, int ncols);

/* Plan for the command-tag row: one text column. */
extern void pgbg_plan_command_tag(ResultPlan *plan, TupleDesc desc);

/*
 * Decode one DataRow (fields[0..nfields), datums[0..nfields)) into
 * values/isnull, allocating in plan->econtext's per-tuple memory.  By-
 * reference values may point into src->text.
 */
extern void pgbg_decode_row(ResultPlan *plan, const DecodeSource *src,
							const PgbgSpan *fields, const uint64_t *datums,
							int nfields, Datum *values, bool *isnull,
							int32 pid);

#endif							/* RESULT_DECODE_H */
