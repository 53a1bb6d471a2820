/*
 * pgbg_compat.h
 *		Every PG_VERSION_NUM difference the shim cares about, in one place.
 *
 * Built and tested on PostgreSQL 15; the branches for 14 and 16-19 follow the
 * upstream API changes and are kept here so function bodies stay free of #if.
 */
#ifndef PGBG_COMPAT_H
#define PGBG_COMPAT_H

#include "postgres.h"

/*
 * Headers that later majors stopped including from others: varatt.h
 * (VARDATA, VARSIZE; its own header from 16 on, no longer pulled in by
 * postgres.h in 19) and storage/latch.h (the WL_* flags; libpq/libpq.h no
 * longer includes it in 19, and the WL_SOCKET_CLOSED fallback below must
 * see it first).  get_database_name moved to utils/lsyscache.h in 19.
 */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif
#include "storage/latch.h"
#include "commands/dbcommands.h"
#include "utils/lsyscache.h"

#if PG_VERSION_NUM < 140000
#error "pg_background needs PostgreSQL 14 or later"
#endif

/* Parse analysis with no parameters: renamed in 15. */
#if PG_VERSION_NUM >= 150000
#define pgbg_analyze_and_rewrite(stmt, sql) \
	pg_analyze_and_rewrite_fixedparams((stmt), (sql), NULL, 0, NULL)
#else
#define pgbg_analyze_and_rewrite(stmt, sql) \
	pg_analyze_and_rewrite((stmt), (sql), NULL, 0, NULL)
#endif

/* PortalRun lost its run_once argument in 18. */
#if PG_VERSION_NUM >= 180000
#define pgbg_portal_run(portal, top_level, dest, qc) \
	PortalRun((portal), FETCH_ALL, (top_level), (dest), (dest), (qc))
#else
#define pgbg_portal_run(portal, top_level, dest, qc) \
	PortalRun((portal), FETCH_ALL, (top_level), true, (dest), (dest), (qc))
#endif

/* Dropping this backend's temporary replication slots: 17 added synced_only. */
#if PG_VERSION_NUM >= 170000
#define pgbg_ReplicationSlotCleanup() ReplicationSlotCleanup(false)
#else
#define pgbg_ReplicationSlotCleanup() ReplicationSlotCleanup()
#endif

/* Renamed in 15. */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/*
 * Is this PGPROC a background worker's (or another non-client process's;
 * callers also check the worker type)?  18 inverted the flag, 19 replaced
 * it with the process's BackendType.
 */
#if PG_VERSION_NUM >= 190000
#define pgbg_proc_is_bgworker(proc) ((proc)->backendType == B_BG_WORKER)
#elif PG_VERSION_NUM >= 180000
#define pgbg_proc_is_bgworker(proc) (!(proc)->isRegularBackend)
#else
#define pgbg_proc_is_bgworker(proc) ((proc)->isBackgroundWorker)
#endif

/*
 * The settings array, with its length: 16 made it a hash table and
 * get_guc_variables return a palloc'd array of it, and its length.
 */
#if PG_VERSION_NUM >= 160000
#define pgbg_guc_variables(n) get_guc_variables(n)
#define pgbg_guc_variables_free(vars) pfree(vars)
#else
#define pgbg_guc_variables(n) (*(n) = GetNumConfigOptions(), get_guc_variables())
#define pgbg_guc_variables_free(vars) ((void) (vars))
#endif

/* WL_SOCKET_CLOSED exists from 15 on. */
#ifndef WL_SOCKET_CLOSED
#define WL_SOCKET_CLOSED 0
#endif

#endif							/* PGBG_COMPAT_H */
