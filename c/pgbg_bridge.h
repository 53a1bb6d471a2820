/*
 * pgbg_bridge.h
 *		The one boundary between the C shim and the Go library
 *		(libpg_background_go.so, built from gosrc/bridge).
 *
 * This header is included by C (c/pgbg_go.c) and by cgo (gosrc/bridge).
 * It uses plain fixed-width types only: no PostgreSQL header may leak here.
 *
 * Ownership, for every function below:
 *	- All memory is allocated and freed by C.  Go reads the input messages and
 *	  writes the output arrays only during the call, in place, and keeps no
 *	  reference to any of them after it returns.
 *	- Go writes offsets, never pointers: a span names an input message of the
 *	  call (src >= 0) or out->text (src == PGBG_SRC_TEXT), and C adds the base.
 *	  They stay valid as long as C keeps those buffers.
 *	- Go never calls back into C and never lets a panic escape: every export
 *	  recovers, writes a message into errbuf and returns PGBG_ERR_INTERNAL.
 *	- C raises PostgreSQL errors (ereport) only after the Go call returned.
 *	- The structs below are shared with Go as they are (Go views C's arrays
 *	  as slices of identical Go structs); pgbg_go_version checks the layout.
 */
#ifndef PGBG_BRIDGE_H
#define PGBG_BRIDGE_H

#include <stdint.h>

/* Bumped whenever a struct or function below changes; checked at load. */
#define PGBG_BRIDGE_VERSION 2

/* Return codes of pgbg_go_parse */
#define PGBG_OK				0	/* every message consumed */
#define PGBG_PAUSED			1	/* stopped after a RowDescription: C installs
								 * the conversion plan, then calls again with
								 * the remaining messages */
#define PGBG_FULL			2	/* an output array is full: C handles the
								 * events so far, resets the arrays (growing
								 * them to the *_need sizes if consumed == 0)
								 * and calls again with the remaining messages */
#define PGBG_ERR_PROTOCOL	-1	/* msgs[consumed] is malformed; errbuf says how */
#define PGBG_ERR_INTERNAL	-2	/* recovered Go panic; errbuf says what */

/*
 * One message as the worker sent it through shm_mq (see pqmq.c): a type byte
 * and the body, without the length word of the wire protocol.
 *
 * PGBG_MSG_ROWS is the worker's batch of rows (c/worker_dest.c): its body is
 * a sequence of DataRow messages framed as on the wire ('D', int32 length
 * counting itself, body).  Every other type is a protocol message.
 */
#define PGBG_MSG_ROWS		'#'

typedef struct PgbgRawMsg
{
	const uint8_t *body;
	uint32_t	len;
	uint8_t		type;			/* 'T', 'D', 'C', 'E', 'N', 'Z', ... */
} PgbgRawMsg;

/*
 * A byte range: len bytes at offset off of input message src's body, or of
 * out->text when src == PGBG_SRC_TEXT.  len == -1 means SQL NULL.  For the
 * string spans (command tags, error fields, column names) Go guarantees a
 * NUL at off + len, so C may use the bytes as a C string.
 */
#define PGBG_SRC_TEXT		(-1)

typedef struct PgbgSpan
{
	int32_t		src;
	int32_t		off;
	int32_t		len;
} PgbgSpan;

/* What one message turned into */
#define PGBG_EV_ROWDESC		1	/* cols[first .. first+count) */
#define PGBG_EV_DATAROW		2	/* spans[first .. first+count), one per field;
								 * datums[] at the same indexes */
#define PGBG_EV_COMMAND		3	/* spans[first]: the command tag */
#define PGBG_EV_ERROR		4	/* spans[first .. first+PGBG_EF_COUNT) */
#define PGBG_EV_NOTICE		5	/* same layout as PGBG_EV_ERROR */
#define PGBG_EV_READY		6	/* ReadyForQuery: the worker is done */
#define PGBG_EV_EMPTY		7	/* EmptyQueryResponse */
#define PGBG_EV_IGNORED		8	/* ParameterStatus, NotificationResponse,
								 * BackendKeyData: nothing to do */
#define PGBG_EV_COPY		9	/* CopyIn/CopyOut/CopyBoth response */

typedef struct PgbgEvent
{
	int32_t		kind;			/* PGBG_EV_* */
	int32_t		first;			/* index into spans[] or cols[] */
	int32_t		count;			/* number of spans or cols */
} PgbgEvent;

/*
 * Format codes of a RowDescription: 0 text, 1 binary, as in the protocol,
 * and PGBG_FORMAT_INTERNAL, which only a pg_background worker sends: the
 * value as the server holds it in memory, detoasted and flattened (the
 * bytes after a varlena's header).  Worker and launcher run the same server
 * on the same catalog, so, as for a parallel query's tuple queue, no send or
 * receive function is needed.  The worker uses it for varlena types with
 * binary I/O (which rules out anonymous records, whose type is private to a
 * backend); Go decodes it as PGBG_DEC_VARLENA.
 */
#define PGBG_FORMAT_INTERNAL	2

/* One column of a RowDescription */
typedef struct PgbgColumn
{
	PgbgSpan	name;
	uint32_t	table_oid;
	int16_t		attnum;
	uint32_t	type_oid;
	int16_t		typlen;
	int32_t		typmod;
	int16_t		format;			/* 0 text, 1 binary, PGBG_FORMAT_INTERNAL */
} PgbgColumn;

/*
 * Fields of an ErrorResponse/NoticeResponse, in this order in spans[].  An
 * absent field has ptr NULL and len -1.  Present fields are NUL-terminated
 * copies in out->text.
 */
#define PGBG_EF_SEVERITY		0	/* 'S' localized severity */
#define PGBG_EF_SEVERITY_NL		1	/* 'V' non-localized severity */
#define PGBG_EF_SQLSTATE		2	/* 'C' (Go checks: 5 chars of [0-9A-Z]) */
#define PGBG_EF_MESSAGE			3	/* 'M' (Go checks: present) */
#define PGBG_EF_DETAIL			4	/* 'D' */
#define PGBG_EF_HINT			5	/* 'H' */
#define PGBG_EF_POSITION		6	/* 'P' (Go checks: decimal) */
#define PGBG_EF_INTERNAL_POS	7	/* 'p' (Go checks: decimal) */
#define PGBG_EF_INTERNAL_QUERY	8	/* 'q' */
#define PGBG_EF_CONTEXT			9	/* 'W' */
#define PGBG_EF_SCHEMA			10	/* 's' */
#define PGBG_EF_TABLE			11	/* 't' */
#define PGBG_EF_COLUMN			12	/* 'c' */
#define PGBG_EF_DATATYPE		13	/* 'd' */
#define PGBG_EF_CONSTRAINT		14	/* 'n' */
#define PGBG_EF_FILE			15	/* 'F' */
#define PGBG_EF_LINE			16	/* 'L' (Go checks: decimal) */
#define PGBG_EF_ROUTINE			17	/* 'R' */
#define PGBG_EF_COUNT			18

/*
 * Conversions Go applies to binary-format DataRow values, so that C can feed
 * them to the receive function of the declared column type.  Each is exact:
 * it gives the same value PostgreSQL's assignment cast would.  All other
 * type pairs are converted by C (PostgreSQL's own coercion).
 */
#define PGBG_CONV_NONE				0
#define PGBG_CONV_INT2_TO_INT4		1
#define PGBG_CONV_INT2_TO_INT8		2
#define PGBG_CONV_INT4_TO_INT8		3
#define PGBG_CONV_INT2_TO_NUMERIC	4
#define PGBG_CONV_INT4_TO_NUMERIC	5
#define PGBG_CONV_INT8_TO_NUMERIC	6
#define PGBG_CONV_FLOAT4_TO_FLOAT8	7
#define PGBG_CONV_INT2_TO_TEXT		8	/* decimal digits, as int2out */
#define PGBG_CONV_INT4_TO_TEXT		9
#define PGBG_CONV_INT8_TO_TEXT		10

/*
 * Values Go decodes itself, when the declared type is the worker's type (no
 * domain, no typmod): the result is what the type's receive function would
 * return, or a protocol error where it would raise one (out of range).
 *	- by value: datums[k] holds the Datum (as Int32GetDatum, Float8GetDatum,
 *	  ... build it on a 64-bit server; C uses these for 8-byte types only when
 *	  FLOAT8PASSBYVAL);
 *	- by reference: the value is copied into out->text at an 8-aligned offset
 *	  and spans[k] names it there: a varlena with a 4-byte header
 *	  (PGBG_DEC_VARLENA), or the 16 bytes of a uuid.
 */
#define PGBG_DEC_BOOL				32
#define PGBG_DEC_INT2				33
#define PGBG_DEC_INT4				34	/* also oid */
#define PGBG_DEC_INT8				35
#define PGBG_DEC_FLOAT4				36
#define PGBG_DEC_FLOAT8				37
#define PGBG_DEC_DATE				38
#define PGBG_DEC_TIME				39
#define PGBG_DEC_TIMESTAMP			40	/* also timestamptz */
#define PGBG_DEC_VARLENA			41	/* text, varchar, bpchar, bytea */
#define PGBG_DEC_UUID				42

/*
 * Input/output block of pgbg_go_parse.  C owns every array and sets the
 * *_cap fields; Go sets the counts, *_need and consumed.
 */
typedef struct PgbgParseOut
{
	/*
	 * plan for DataRows: conv[i] is a PGBG_CONV_* or PGBG_DEC_* for column i
	 */
	const int32_t *conv;
	int32_t		nconv;			/* 0: no conversions */

	PgbgEvent  *events;
	int32_t		events_cap;
	int32_t		nevents;
	int32_t		events_need;	/* set with PGBG_FULL and consumed == 0 */

	PgbgSpan   *spans;
	uint64_t   *datums;			/* as many as spans */
	int32_t		spans_cap;
	int32_t		nspans;
	int32_t		spans_need;		/* set with PGBG_FULL and consumed == 0 */

	PgbgColumn *cols;
	int32_t		cols_cap;
	int32_t		ncols;
	int32_t		cols_need;		/* set with PGBG_FULL and consumed == 0 */

	uint8_t    *text;			/* error fields, converted values */
	int32_t		text_cap;
	int32_t		text_used;
	int32_t		text_need;		/* set with PGBG_FULL and consumed == 0 */

	int32_t		consumed;		/* messages fully turned into events */
} PgbgParseOut;

/*
 * Exports of the Go library, looked up with dlsym by c/pgbg_go.c.
 */

/*
 * Returns PGBG_BRIDGE_VERSION of the library, or -1 if its view of the
 * structs above differs from the header it was built with.
 */
typedef int32_t (*pgbg_go_version_fn) (void);

/*
 * Parses msgs[0 .. nmsgs) in order, appending one event per message to out
 * (starting at out->nevents etc.; C resets the counts between batches).
 * Stops early with PGBG_PAUSED right after a RowDescription, or with
 * PGBG_FULL when an output array would overflow.  errbuf receives a
 * NUL-terminated message for the negative codes.
 */
typedef int32_t (*pgbg_go_parse_fn) (const PgbgRawMsg *msgs, int32_t nmsgs,
									 PgbgParseOut *out,
									 char *errbuf, int32_t errbuf_len);

#define PGBG_GO_VERSION_SYMBOL	"pgbg_go_version"
#define PGBG_GO_PARSE_SYMBOL	"pgbg_go_parse"

#endif							/* PGBG_BRIDGE_H */
