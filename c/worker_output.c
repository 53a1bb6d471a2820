/*
 * worker_output.c
 *		The worker's protocol output into the job's queue (pqmq.c), and
 *		whether that output still works after the job.
 *
 * pqmq.c keeps a private "busy" flag while it sends.  If an error is
 * thrown out of a send (a cancel or timeout while the queue was full, in
 * CHECK_FOR_INTERRUPTS), the flag stays set for the rest of the process:
 * every later send, also into the next job's queue, detaches that queue
 * and says EOF.  The job's SQL can catch such an error (PL/pgSQL's
 * EXCEPTION WHEN query_canceled) and end normally, so the outcome of the
 * job does not tell.  We count sends that began and sends that returned
 * instead: a send that began and never returned was left by a throw.
 */
#include "postgres.h"

#include "libpq/libpq.h"
#include "libpq/pqmq.h"

#include "pg_background.h"
#include "worker_internal.h"

/* pqmq.c's methods, with putmessage counted */
static PQcommMethods counted_methods;
static int	(*mq_putmessage) (char msgtype, const char *s, size_t len);
static uint64 sends_begun;
static uint64 sends_returned;

/* a submitted job (pg_background_submit_v2): only ReadyForQuery is sent */
static bool discard_output = false;

static int
counted_putmessage(char msgtype, const char *s, size_t len)
{
	int			r;

	if (discard_output && msgtype != 'Z')
		return 0;
	sends_begun++;
	r = mq_putmessage(msgtype, s, len);
	sends_returned++;
	return r;
}

/*
 * Send protocol output into mqh (in seg) from now on, as
 * pq_redirect_to_shm_mq does, counting the sends.
 */
void
pgbg_redirect_output(dsm_segment *seg, shm_mq_handle *mqh)
{
	pq_redirect_to_shm_mq(seg, mqh);
	counted_methods = *PqCommMethods;
	mq_putmessage = counted_methods.putmessage;
	counted_methods.putmessage = counted_putmessage;
	PqCommMethods = &counted_methods;
}

/* Send only ReadyForQuery from now on (discard), or everything. */
void
pgbg_output_discard(bool discard)
{
	discard_output = discard;
}

/* Whether a send was abandoned by an error: pqmq.c is then unusable. */
bool
pgbg_output_broken(void)
{
	return sends_begun != sends_returned;
}
