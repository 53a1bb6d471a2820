/*
 * worker_dest.c
 *		The worker's DestReceiver for result rows.  It writes the same
 *		DataRow bytes printtup would, but packs many rows into one queue
 *		message (PGBG_MSG_ROWS, see pgbg_bridge.h), so the launcher is woken,
 *		and crosses into Go, once per batch instead of once per row.
 *
 * printtup calls a send function per value, each allocating its own
 * buffer, and hands every row to shm_mq with a flush and a SetLatch.  Here
 * the common fixed-size and text-like types are written straight into the
 * batch in their binary send format (the value is already in the slot:
 * byte order is all there is to do); every other type goes through its
 * send (binary) or output (text) function, as printtup would.
 *
 * Text travels in the database encoding: the worker's client_encoding is
 * the database's (worker.c, and run_statement after every statement), so
 * textsend would not convert either, and the launcher decodes accordingly.
 *
 * Ordering: rows are held back until the batch is full or the executor
 * shuts the receiver down, which is before CommandComplete is sent.  A
 * NOTICE raised while rows are pending reaches the launcher before them;
 * an ERROR discards them (the launcher raises the error, not the rows).
 * Batches go out through pq_putmessage, whose shm_mq implementation (pqmq.c)
 * waits for queue space with interrupts serviced and copes with an error
 * raised in the middle of a send.
 */
#include "postgres.h"

#include "access/printtup.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "libpq/libpq.h"
#include "port/pg_bswap.h"
#include "tcop/pquery.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "pg_background.h"
#include "pgbg_compat.h"
#include "worker_internal.h"
#include "pgbg_bridge.h"

/* Batches hold at most this much, and a quarter of the queue. */
#define BATCH_MAX			(64 * 1024)
#define BATCH_MIN			1024

/*
 * A value larger than this goes out right after the rows before it, so that
 * a row with a value near 1 GB never shares a buffer with other rows.
 */
#define LARGE_VALUE			(BATCH_MAX * 4)

typedef enum SendKind
{
	SEND_TEXT_OUTPUT,			/* text format: output function */
	SEND_BINARY_FUNC,			/* binary format: send function */
	SEND_BOOL,					/* 1 byte, 0 or 1 */
	SEND_INT16,					/* int2 */
	SEND_INT32,					/* int4, oid, date, float4 */
	SEND_INT64,					/* int8, timestamp, timestamptz, time, float8 */
	SEND_VARLENA,				/* text, varchar, bpchar, bytea, and every type
								 * in PGBG_FORMAT_INTERNAL: the bytes */
	SEND_UUID					/* 16 bytes */
} SendKind;

typedef struct SendColumn
{
	SendKind	kind;
	FmgrInfo	func;			/* SEND_TEXT_OUTPUT, SEND_BINARY_FUNC */
} SendColumn;

typedef struct RowSender
{
	DestReceiver pub;
	Portal		portal;
	int			natts;
	SendColumn *cols;
	StringInfoData buf;			/* pending rows, framed as on the wire */
	Size		batch_max;
	MemoryContext rowcxt;		/* reset after every row */
} RowSender;

/* Which binary fast path, if any, a column of this base type takes. */
static SendKind
binary_kind(Oid basetype)
{
	switch (basetype)
	{
		case BOOLOID:
			return SEND_BOOL;
		case INT2OID:
			return SEND_INT16;
		/*
		 * A float's send format is its bits in network order, and its
		 * Datum holds those bits (float8 behind a pointer where it is not
		 * by value, which DatumGetInt64 follows).
		 */
		case INT4OID:
		case OIDOID:
		case DATEOID:
		case FLOAT4OID:
			return SEND_INT32;
		case INT8OID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case TIMEOID:
		case FLOAT8OID:
			return SEND_INT64;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case BYTEAOID:
			return SEND_VARLENA;
		case UUIDOID:
			return SEND_UUID;
		default:
			return SEND_BINARY_FUNC;
	}
}

static void
rows_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	RowSender  *rs = (RowSender *) self;
	Portal		portal = rs->portal;
	StringInfoData desc;

	/* The RowDescription goes first, on its own, exactly as printtup's. */
	initStringInfo(&desc);
	SendRowDescriptionMessage(&desc, typeinfo, FetchPortalTargetList(portal),
							  portal->formats);
	pfree(desc.data);

	rs->natts = typeinfo->natts;
	rs->cols = MemoryContextAllocZero(rs->rowcxt->parent,
									  sizeof(SendColumn) * Max(rs->natts, 1));
	for (int i = 0; i < rs->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(typeinfo, i);
		SendColumn *col = &rs->cols[i];
		int16		format = portal->formats != NULL ? portal->formats[i] : 0;
		Oid			func;
		bool		isvarlena;

		if (format == PGBG_FORMAT_INTERNAL)
		{
			col->kind = SEND_VARLENA;
			continue;
		}
		if (format == 1)
		{
			col->kind = binary_kind(getBaseType(att->atttypid));
			getTypeBinaryOutputInfo(att->atttypid, &func, &isvarlena);
		}
		else
		{
			col->kind = SEND_TEXT_OUTPUT;
			getTypeOutputInfo(att->atttypid, &func, &isvarlena);
		}
		fmgr_info_cxt(func, &col->func, rs->rowcxt->parent);
	}
}

/* Room for n more bytes; enlargeStringInfo only when the buffer is full. */
static inline char *
reserve(StringInfo buf, int n)
{
	char	   *p;

	if (n >= buf->maxlen - buf->len)
		enlargeStringInfo(buf, n);
	p = buf->data + buf->len;
	buf->len += n;
	return p;
}

static inline void
put_u16(StringInfo buf, uint16 v)
{
	v = pg_hton16(v);
	memcpy(reserve(buf, 2), &v, 2);
}

static inline void
put_u32(StringInfo buf, uint32 v)
{
	v = pg_hton32(v);
	memcpy(reserve(buf, 4), &v, 4);
}

static inline void
put_u64(StringInfo buf, uint64 v)
{
	v = pg_hton64(v);
	memcpy(reserve(buf, 8), &v, 8);
}

static void
send_pending(RowSender *rs, int upto)
{
	if (upto > 0)
		(void) pq_putmessage(PGBG_MSG_ROWS, rs->buf.data, upto);
}

/*
 * Make room for a value of len bytes in the row that starts at *start:
 * a large value makes the rows before it go out first, and the row so far
 * moves to the front of the buffer.
 */
static void
room_for_value(RowSender *rs, int *start, Size len)
{
	StringInfo	buf = &rs->buf;

	if (*start == 0 || len < LARGE_VALUE)
		return;
	send_pending(rs, *start);
	memmove(buf->data, buf->data + *start, buf->len - *start);
	buf->len -= *start;
	*start = 0;
}

static void
put_bytes(RowSender *rs, int *start, const char *data, Size len)
{
	room_for_value(rs, start, len);
	put_u32(&rs->buf, (uint32) len);
	memcpy(reserve(&rs->buf, len), data, len);
}

static void
put_value(RowSender *rs, int *start, SendColumn *col, Datum value)
{
	StringInfo	buf = &rs->buf;

	switch (col->kind)
	{
		case SEND_BOOL:
			put_u32(buf, 1);
			*reserve(buf, 1) = DatumGetBool(value) ? 1 : 0;
			break;
		case SEND_INT16:
			put_u32(buf, 2);
			put_u16(buf, (uint16) DatumGetInt16(value));
			break;
		case SEND_INT32:
			put_u32(buf, 4);
			put_u32(buf, (uint32) DatumGetInt32(value));
			break;
		case SEND_INT64:
			put_u32(buf, 8);
			put_u64(buf, (uint64) DatumGetInt64(value));
			break;
		case SEND_VARLENA:
			{
				/* may detoast into rowcxt */
				struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(value));

				put_bytes(rs, start, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
				break;
			}
		case SEND_UUID:
			put_bytes(rs, start, (const char *) DatumGetPointer(value), 16);
			break;
		case SEND_BINARY_FUNC:
			{
				bytea	   *b = SendFunctionCall(&col->func, value);

				put_bytes(rs, start, VARDATA(b), VARSIZE(b) - VARHDRSZ);
				break;
			}
		case SEND_TEXT_OUTPUT:
			{
				char	   *s = OutputFunctionCall(&col->func, value);

				put_bytes(rs, start, s, strlen(s));
				break;
			}
	}
}

static bool
rows_receive(TupleTableSlot *slot, DestReceiver *self)
{
	RowSender  *rs = (RowSender *) self;
	StringInfo	buf = &rs->buf;
	int			start = buf->len;
	MemoryContext old;

	if (slot->tts_tupleDescriptor->natts != rs->natts)
		elog(ERROR, "row has %d columns, its description %d",
			 slot->tts_tupleDescriptor->natts, rs->natts);
	slot_getallattrs(slot);

	old = MemoryContextSwitchTo(rs->rowcxt);
	*reserve(buf, 1) = 'D';
	(void) reserve(buf, 4);		/* length word, set below */
	put_u16(buf, (uint16) rs->natts);
	for (int i = 0; i < rs->natts; i++)
	{
		if (slot->tts_isnull[i])
			put_u32(buf, (uint32) -1);
		else
			put_value(rs, &start, &rs->cols[i], slot->tts_values[i]);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(rs->rowcxt);

	/* the length word counts itself, not the type byte */
	{
		uint32		n = pg_hton32((uint32) (buf->len - start - 1));

		memcpy(buf->data + start + 1, &n, 4);
	}

	if ((Size) (buf->len - start) > rs->batch_max)
	{
		/* A row larger than a batch travels alone, as a plain DataRow. */
		send_pending(rs, start);
		(void) pq_putmessage('D', buf->data + start + 5, buf->len - start - 5);
		if ((Size) buf->maxlen > rs->batch_max * 2)
		{
			pfree(buf->data);
			initStringInfo(buf);
		}
		resetStringInfo(buf);
	}
	else if ((Size) buf->len >= rs->batch_max)
	{
		send_pending(rs, buf->len);
		resetStringInfo(buf);
	}
	return true;
}

static void
rows_shutdown(DestReceiver *self)
{
	RowSender  *rs = (RowSender *) self;

	send_pending(rs, rs->buf.len);
	resetStringInfo(&rs->buf);
}

static void
rows_destroy(DestReceiver *self)
{
	RowSender  *rs = (RowSender *) self;

	MemoryContextDelete(rs->rowcxt);
	pfree(rs->buf.data);
	pfree(rs);
}

/*
 * A receiver for the rows of one portal, allocated in the current memory
 * context (which must outlive the portal's run, commits included).
 */
DestReceiver *
pgbg_create_row_sender(Portal portal, Size queue_size)
{
	RowSender  *rs = palloc0(sizeof(RowSender));

	rs->pub.receiveSlot = rows_receive;
	rs->pub.rStartup = rows_startup;
	rs->pub.rShutdown = rows_shutdown;
	rs->pub.rDestroy = rows_destroy;
	rs->pub.mydest = DestRemote;
	rs->portal = portal;
	rs->batch_max = Max(Min(queue_size / 4, BATCH_MAX), BATCH_MIN);
	initStringInfo(&rs->buf);
	rs->rowcxt = AllocSetContextCreate(CurrentMemoryContext,
									   "pg_background row",
									   ALLOCSET_DEFAULT_SIZES);
	return &rs->pub;
}
