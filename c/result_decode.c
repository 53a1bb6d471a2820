/*
 * result_decode.c
 *		Column plans and row decoding for pg_background_result().
 *
 * For each column, the cheapest exact path from the worker's value to the
 * declared type:
 *	- same common base type (int, float, bool, date/time, text, bytea, uuid;
 *	  no typmod): Go makes the Datum (PGBG_DEC_*), no function call here;
 *	- a value in the internal format (PGBG_FORMAT_INTERNAL): Go copies it,
 *	  and a coercion follows if the declared type is not the worker's;
 *	- same type (or a domain over it): the declared type's receive/input
 *	  function; a domain's checks its constraints;
 *	- an integer widening, integer to numeric or text, float4 to float8:
 *	  Go rewrites the binary value (PGBG_CONV_*), then as above;
 *	- a text-format value PostgreSQL would assign by I/O conversion: the
 *	  declared type's input function on the text as it came;
 *	- any other pair PostgreSQL can assign: decode as the worker's type,
 *	  then evaluate the assignment coercion (casts, I/O conversion to text,
 *	  typmods, domain checks) as an expression;
 *	- anything else is error 42804, as is a different column count.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "result_decode.h"

static void
check_column_count(TupleDesc desc, int ncols)
{
	if (desc->natts != ncols)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column definition list does not match the background worker's result"),
				 errdetail("The worker returned %d column%s; the list has %d.",
						   ncols, ncols == 1 ? "" : "s", desc->natts)));
}

/* The Go conversion for worker type -> declared base type, if one applies. */
static int32
go_conversion(Oid wtype, Oid dbase)
{
	bool		to_text = (dbase == TEXTOID || dbase == VARCHAROID);

	switch (wtype)
	{
		case INT2OID:
			return dbase == INT4OID ? PGBG_CONV_INT2_TO_INT4 :
				dbase == INT8OID ? PGBG_CONV_INT2_TO_INT8 :
				dbase == NUMERICOID ? PGBG_CONV_INT2_TO_NUMERIC :
				to_text ? PGBG_CONV_INT2_TO_TEXT : PGBG_CONV_NONE;
		case INT4OID:
			return dbase == INT8OID ? PGBG_CONV_INT4_TO_INT8 :
				dbase == NUMERICOID ? PGBG_CONV_INT4_TO_NUMERIC :
				to_text ? PGBG_CONV_INT4_TO_TEXT : PGBG_CONV_NONE;
		case INT8OID:
			return dbase == NUMERICOID ? PGBG_CONV_INT8_TO_NUMERIC :
				to_text ? PGBG_CONV_INT8_TO_TEXT : PGBG_CONV_NONE;
		case FLOAT4OID:
			return dbase == FLOAT8OID ? PGBG_CONV_FLOAT4_TO_FLOAT8 :
				PGBG_CONV_NONE;
		default:
			return PGBG_CONV_NONE;
	}
}

/*
 * The Go decoding for a binary value of the declared type itself, if one
 * applies: the declared type is a base type (no domain checks to run) and
 * its typmod changes nothing.
 */
static int32
go_decoding(Oid dtype, int32 dtypmod)
{
	switch (dtype)
	{
		case BOOLOID:
			return PGBG_DEC_BOOL;
		case INT2OID:
			return PGBG_DEC_INT2;
		case INT4OID:
		case OIDOID:
			return PGBG_DEC_INT4;
		case FLOAT4OID:
			return PGBG_DEC_FLOAT4;
		case DATEOID:
			return PGBG_DEC_DATE;
		case INT8OID:
			return FLOAT8PASSBYVAL ? PGBG_DEC_INT8 : PGBG_CONV_NONE;
		case FLOAT8OID:
			return FLOAT8PASSBYVAL ? PGBG_DEC_FLOAT8 : PGBG_CONV_NONE;
		case TIMEOID:
			return FLOAT8PASSBYVAL && dtypmod < 0 ? PGBG_DEC_TIME : PGBG_CONV_NONE;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return FLOAT8PASSBYVAL && dtypmod < 0 ? PGBG_DEC_TIMESTAMP : PGBG_CONV_NONE;
		case TEXTOID:
		case BYTEAOID:
			return PGBG_DEC_VARLENA;
		case VARCHAROID:
		case BPCHAROID:
			return dtypmod < 0 ? PGBG_DEC_VARLENA : PGBG_CONV_NONE;
		case UUIDOID:
			return PGBG_DEC_UUID;
		default:
			return PGBG_CONV_NONE;
	}
}

/* Is wtype assigned to dtype by I/O conversion (no cast function)? */
static bool
is_io_coercion(Oid wtype, Oid dtype)
{
	Oid			funcid;

	return find_coercion_pathway(dtype, wtype, COERCION_ASSIGNMENT, &funcid) ==
		COERCION_PATH_COERCEVIAIO;
}

static void
set_io(ColumnPlan *cp, Oid type, int32 typmod, bool binary)
{
	Oid			func;

	if (binary)
		getTypeBinaryInputInfo(type, &func, &cp->ioparam);
	else
		getTypeInputInfo(type, &func, &cp->ioparam);
	fmgr_info(func, &cp->io);
	cp->io_typmod = typmod;
	cp->mode = binary ? COL_RECV : COL_INPUT;
}

/* worker value (wtype) -> declared (dtype, dtypmod) via assignment rules */
static void
plan_coercion(ColumnPlan *cp, Oid wtype, int32 wtypmod, Oid dtype,
			  int32 dtypmod, int attno, const char *attname)
{
	Param	   *param = makeNode(Param);
	Node	   *expr;

	param->paramkind = PARAM_EXTERN;
	param->paramid = 1;
	param->paramtype = wtype;
	param->paramtypmod = wtypmod;
	param->paramcollid = get_typcollation(wtype);
	param->location = -1;

	expr = coerce_to_target_type(NULL, (Node *) param, wtype, dtype, dtypmod,
								 COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);
	if (expr == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot convert column %d (\"%s\") of the background worker result from type %s to %s",
						attno, attname, format_type_be(wtype),
						format_type_with_typemod(dtype, dtypmod)),
				 errdetail("PostgreSQL has no assignment cast from %s to %s.",
						   format_type_be(wtype), format_type_be(dtype)),
				 wtype == TEXTOID ?
				 errhint("Declare the column as text.") :
				 errhint("Declare the column as %s, or as text.",
						 format_type_be(wtype))));

	cp->params = makeParamList(1);
	cp->params->numParams = 1;
	cp->params->params[0].ptype = wtype;
	cp->params->params[0].pflags = PARAM_FLAG_CONST;
	cp->coerce = ExecInitExprWithParams(expression_planner((Expr *) expr),
										cp->params);
}

void
pgbg_plan_columns(ResultPlan *plan, TupleDesc desc, const PgbgColumn *cols,
				  int ncols)
{
	check_column_count(desc, ncols);

	if (plan->cols == NULL)
	{
		plan->natts = desc->natts;
		plan->cols = palloc0(sizeof(ColumnPlan) * Max(desc->natts, 1));
		plan->conv = palloc0(sizeof(int32) * Max(desc->natts, 1));
		plan->econtext = CreateStandaloneExprContext();
		initStringInfo(&plan->scratch);
	}

	for (int i = 0; i < ncols; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		ColumnPlan *cp = &plan->cols[i];
		Oid			wtype = cols[i].type_oid;
		int32		wtypmod = cols[i].typmod;
		bool		binary = (cols[i].format == 1);
		Oid			dtype = att->atttypid;
		Oid			dbase = getBaseType(dtype);

		if (cols[i].format != 0 && cols[i].format != 1 &&
			cols[i].format != PGBG_FORMAT_INTERNAL)
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("invalid format code %d in column %d of the background worker result",
							cols[i].format, i + 1)));
		if (!OidIsValid(wtype) || format_type_extended(wtype, -1, FORMAT_TYPE_ALLOW_INVALID)[0] == '?')
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("unknown type OID %u in column %d of the background worker result",
							wtype, i + 1)));

		memset(cp, 0, sizeof(ColumnPlan));
		plan->conv[i] = PGBG_CONV_NONE;

		if (cols[i].format == PGBG_FORMAT_INTERNAL)
		{
			/* The worker's own flattened varlena: Go copies it. */
			if (get_typlen(wtype) != -1)
				ereport(ERROR,
						(errcode(ERRCODE_PROTOCOL_VIOLATION),
						 errmsg("internal format for type %s in column %d of the background worker result",
								format_type_be(wtype), i + 1)));
			plan->conv[i] = PGBG_DEC_VARLENA;
			cp->mode = COL_GO_BYREF;
			if (wtype != dtype ||
				(att->atttypmod >= 0 && att->atttypmod != wtypmod))
				plan_coercion(cp, wtype, wtypmod, dtype, att->atttypmod, i + 1,
							  NameStr(att->attname));
		}
		else if (wtype == dtype && binary &&
				 (plan->conv[i] = go_decoding(dtype, att->atttypmod)) != PGBG_CONV_NONE)
		{
			bool		byval = plan->conv[i] != PGBG_DEC_VARLENA &&
				plan->conv[i] != PGBG_DEC_UUID;

			cp->mode = byval ? COL_GO_BYVAL : COL_GO_BYREF;
		}
		else if (wtype == dtype || wtype == dbase)
		{
			/* Domain recv/input check the domain's constraints. */
			set_io(cp, dtype, att->atttypmod, binary);
		}
		else if (binary && (plan->conv[i] = go_conversion(wtype, dbase)) != PGBG_CONV_NONE)
			set_io(cp, dtype, att->atttypmod, true);
		else if (!binary && is_io_coercion(wtype, dtype))
		{
			/*
			 * PostgreSQL would assign it by the worker type's output function
			 * and the declared type's input function.  The worker ran the
			 * first: the text is all we need (anonymous records, which have
			 * no input function, take this path to text).
			 */
			set_io(cp, dtype, att->atttypmod, false);
		}
		else
		{
			plan_coercion(cp, wtype, wtypmod, dtype, att->atttypmod, i + 1,
						  NameStr(att->attname));
			set_io(cp, wtype, wtypmod, binary);
		}
	}
}

void
pgbg_plan_command_tag(ResultPlan *plan, TupleDesc desc)
{
	PgbgColumn	col;

	memset(&col, 0, sizeof(col));
	col.type_oid = TEXTOID;
	col.typmod = -1;
	col.format = 0;
	pgbg_plan_columns(plan, desc, &col, 1);
}

/* Run the io function on one non-NULL or NULL value. */
static Datum
call_io(ResultPlan *plan, ColumnPlan *cp, const DecodeSource *src,
		const PgbgSpan *f)
{
	StringInfo	buf = &plan->scratch;
	Datum		d;

	if (f->len < 0)
	{
		if (cp->mode == COL_RECV)
			return ReceiveFunctionCall(&cp->io, NULL, cp->ioparam, cp->io_typmod);
		return InputFunctionCall(&cp->io, NULL, cp->ioparam, cp->io_typmod);
	}

	/*
	 * The value may sit in the queue's ring buffer, which we must not write:
	 * copy it, so the receive/input function gets the NUL-terminated
	 * StringInfo it may rely on.
	 */
	resetStringInfo(buf);
	appendBinaryStringInfo(buf, pgbg_span_ptr(src->msgs, src->text, f), f->len);
	if (cp->mode == COL_INPUT)
		return InputFunctionCall(&cp->io, buf->data, cp->ioparam, cp->io_typmod);

	d = ReceiveFunctionCall(&cp->io, buf, cp->ioparam, cp->io_typmod);
	if (buf->cursor != buf->len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("incorrect binary data format in background worker result")));
	return d;
}

void
pgbg_decode_row(ResultPlan *plan, const DecodeSource *src,
				const PgbgSpan *fields, const uint64_t *datums, int nfields,
				Datum *values, bool *isnull, int32 pid)
{
	MemoryContext old;

	if (nfields != plan->natts)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("background worker with PID %d sent a row of %d columns, its row description has %d",
						pid, nfields, plan->natts)));

	old = MemoryContextSwitchTo(plan->econtext->ecxt_per_tuple_memory);
	for (int i = 0; i < nfields; i++)
	{
		ColumnPlan *cp = &plan->cols[i];
		const PgbgSpan *f = &fields[i];
		bool		null = (f->len < 0);
		Datum		d;

		if (cp->mode == COL_GO_BYVAL)
			d = null ? (Datum) 0 : (Datum) datums[i];
		else if (cp->mode == COL_GO_BYREF)
			d = null ? (Datum) 0 : PointerGetDatum(src->text + f->off);
		else
			d = call_io(plan, cp, src, f);
		if (cp->coerce != NULL)
		{
			/* EEOP_PARAM_EXTERN reads the params from the econtext. */
			cp->params->params[0].value = d;
			cp->params->params[0].isnull = null;
			plan->econtext->ecxt_param_list_info = cp->params;
			d = ExecEvalExpr(cp->coerce, plan->econtext, &null);
		}
		values[i] = d;
		isnull[i] = null;
	}
	MemoryContextSwitchTo(old);
}
