/*
 * spill.c
 *		The output of a job whose worker has exited before its result was
 *		read: copied out of the queue, so that the session keeps only the
 *		bytes still unread, not the worker's whole queue and segments.
 *
 * A worker that leaves (its slot says so before it exits) has finished its
 * job or is dying, so what the queue holds is all the job will ever say.  At each launch (pgbg_session_check_limits)
 * the session copies the queued messages of such jobs into its own memory
 * (TopMemoryContext), lets go of the job's segment and of the worker's
 * control segment (through the pool), and reads from the copy later, in
 * the same order.  The job's SQL string is kept only if an error position
 * may point into it (relay.c).
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "pg_background.h"

/* relay.c attaches no internal query to errors of longer strings */
#define MAX_KEPT_SQL	(64 * 1024)

/* Let go of the queue, the job's segment and (through the pool) the worker. */
static void
release_shared_memory(PgbgWorker *w)
{
	shm_mq_detach(w->mqh);
	w->mqh = NULL;
	dsm_detach(w->seg);
	w->seg = NULL;
	pgbg_pool_job_ended(w->pw, PGBG_JOB_SPILLED);
	w->pw = NULL;
}

/*
 * Copy the queued messages, one after the other, keeping w->spill current
 * after each: if an error (out of memory) strikes midway, what was copied
 * stays readable and the queue is let go, so that a read ends with "lost
 * connection" where the copy ends, never in the middle of the stream.
 */
static void
spill(PgbgWorker *w)
{
	PG_TRY();
	{
		const char *sql = w->sql;

		pgbg_job_refresh(w);	/* how it ended, while the slot is ours */
		for (;;)
		{
			Size		nbytes;
			void	   *data;

			if (shm_mq_receive(w->mqh, &nbytes, &data, true) != SHM_MQ_SUCCESS)
				break;
			pgbg_spill_append(w, data, nbytes);
		}
		w->sql = (sql != NULL && strlen(sql) <= MAX_KEPT_SQL) ?
			MemoryContextStrdup(TopMemoryContext, sql) : NULL;
	}
	PG_CATCH();
	{
		w->sql = NULL;
		release_shared_memory(w);
		PG_RE_THROW();
	}
	PG_END_TRY();
	release_shared_memory(w);
}

/*
 * Append one message to w's spill buffer (TopMemoryContext), after what is
 * there: the order of the queue is kept.
 */
void
pgbg_spill_append(PgbgWorker *w, const void *data, Size nbytes)
{
	uint32		len = (uint32) nbytes;
	Size		need = w->spill_len + sizeof(len) + len;

	if (need > w->spill_cap)
	{
		Size		cap = Max(need, Max(w->spill_cap * 2, 8192));

		w->spill = w->spill == NULL ?
			MemoryContextAllocHuge(TopMemoryContext, cap) :
			repalloc_huge(w->spill, cap);
		w->spill_cap = cap;
	}
	memcpy(w->spill + w->spill_len, &len, sizeof(len));
	memcpy(w->spill + w->spill_len + sizeof(len), data, len);
	w->spill_len = need;
}

/* Spill every job of the table whose worker has exited. */
void
pgbg_spill_exited(HTAB *jobs)
{
	HASH_SEQ_STATUS status;
	PgbgWorker *w;

	hash_seq_init(&status, jobs);
	while ((w = hash_seq_search(&status)) != NULL)
	{
		if (w->pw != NULL && w->mqh != NULL && !w->reading &&
			pgbg_pool_worker_gone(w->pw))
			spill(w);
	}
}

/* The memory a job holds besides its worker's control segment. */
Size
pgbg_job_memory(const PgbgWorker *w)
{
	if (w->seg != NULL)
		return dsm_segment_map_length(w->seg) + w->spill_cap;
	return w->spill_cap + (w->sql != NULL ? strlen(w->sql) + 1 : 0);
}

/*
 * The job's next message, as shm_mq_receive(nowait) gives it: from the
 * copy, then from the queue.  The data stays valid until the next call.
 */
shm_mq_result
pgbg_job_receive(PgbgWorker *w, Size *nbytes, void **data)
{
	if (w->spill != NULL && w->spill_pos < w->spill_len)
	{
		uint32		len;

		memcpy(&len, w->spill + w->spill_pos, sizeof(len));
		*data = w->spill + w->spill_pos + sizeof(len);
		*nbytes = len;
		w->spill_pos += sizeof(len) + len;
		return SHM_MQ_SUCCESS;
	}
	if (w->mqh == NULL)
		return SHM_MQ_DETACHED;
	return shm_mq_receive(w->mqh, nbytes, data, true);
}

/* Free what spill() kept. */
void
pgbg_spill_free(PgbgWorker *w)
{
	if (w->spill != NULL)
		pfree(w->spill);
	w->spill = NULL;
	w->spill_cap = w->spill_len = w->spill_pos = 0;
	if (w->seg == NULL && w->sql != NULL)
		pfree((char *) w->sql);
	w->sql = NULL;
}
