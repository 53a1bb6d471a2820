/*
 * worker_internal.h
 *		What the files of a worker's life share (worker*.c).  Nothing here
 *		runs in a launching backend.
 */
#ifndef WORKER_INTERNAL_H
#define WORKER_INTERNAL_H

#include "pg_background.h"

/* worker_identity.c */
extern void pgbg_identity_init(void);
extern void pgbg_become_launcher(PgbgFixed *fixed, char *gucstate,
								 bool *connected);
extern void pgbg_identity_enter_transaction(void);
extern bool pgbg_job_added_settings(void);

/* worker_exec.c */
extern void pgbg_execute_sql_string(const char *sql, Size queue_size,
									int sec_context);

/* worker_reset.c */
extern void pgbg_reset_session(void);
extern void pgbg_end_open_transaction_block(void);
extern bool pgbg_job_left_worker_reusable(const PgbgFixed *fixed);

/* worker_output.c */
extern void pgbg_redirect_output(dsm_segment *seg, shm_mq_handle *mqh);
extern bool pgbg_output_broken(void);
extern void pgbg_output_discard(bool discard);

/* worker_job.c */
extern void pgbg_worker_job_init(void);
extern void pgbg_job_begin(PgbgPoolSlot *slot, const PgbgFixed *fixed);
extern void pgbg_job_new_transaction(void);
extern void pgbg_job_final_commit(void);
extern void pgbg_job_failed(void);
extern void pgbg_job_execute(const char *sql, const PgbgFixed *fixed);
extern void pgbg_job_end(void);

/* worker_dest.c */
extern DestReceiver *pgbg_create_row_sender(Portal portal, Size queue_size);

#endif							/* WORKER_INTERNAL_H */
