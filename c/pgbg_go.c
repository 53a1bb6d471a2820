/*
 * pgbg_go.c
 *		Load the Go library into the launching backend, lazily and safely.
 *
 * The recipe (../shared/notes/go-in-postgres.md, measured):
 *	- never in the postmaster, never as a DT_NEEDED dependency: dlopen() on
 *	  first use, in the backend that needs it; workers never load Go;
 *	- the library is built with async preemption off, so no Go thread
 *	  unblocks SIGURG, which PostgreSQL's latches rely on;
 *	- all signals are blocked around dlopen() and the first call, so the Go
 *	  runtime's threads inherit a fully blocked mask and never run one of
 *	  PostgreSQL's signal handlers;
 *	- the library is found next to this shim's own file (dladdr), so a
 *	  relocated, DESTDIR-staged or dynamic_library_path install works.
 */
#include "postgres.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>

#include "miscadmin.h"
#include "portability/instr_time.h"

#include "pgbg_go.h"

static pgbg_go_parse_fn go_parse = NULL;

static void
load_go_library(void)
{
	Dl_info		self;
	char		path[MAXPGPATH];
	char		dlerr[512] = "";
	sigset_t	all;
	sigset_t	old;
	void	   *lib;
	pgbg_go_version_fn version_fn = NULL;
	pgbg_go_parse_fn parse_fn = NULL;
	int32		version = -1;
	instr_time	started;
	instr_time	elapsed;

	if (dladdr((void *) load_go_library, &self) == 0 || self.dli_fname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("could not find the file of the pg_background module")));
	strlcpy(path, self.dli_fname, sizeof(path));
	get_parent_directory(path);
	join_path_components(path, path, PGBG_GO_LIBRARY);

	INSTR_TIME_SET_CURRENT(started);
	/* Nothing in this block may raise: signals are blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL)
		strlcpy(dlerr, dlerror(), sizeof(dlerr));
	else
	{
		version_fn = (pgbg_go_version_fn) dlsym(lib, PGBG_GO_VERSION_SYMBOL);
		parse_fn = (pgbg_go_parse_fn) dlsym(lib, PGBG_GO_PARSE_SYMBOL);
		/* The first call waits for the Go runtime to finish starting. */
		if (version_fn != NULL)
			version = version_fn();
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	if (lib == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("could not load library \"%s\": %s", path, dlerr)));
	if (version_fn == NULL || parse_fn == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("library \"%s\" is not the pg_background Go library", path)));
	if (version != PGBG_BRIDGE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("library \"%s\" has bridge version %d, pg_background needs %d",
						path, version, PGBG_BRIDGE_VERSION),
				 errhint("Install pg_background.so and %s from the same build.",
						 PGBG_GO_LIBRARY)));
	go_parse = parse_fn;

	/* What the one-time load cost this backend (the benchmark reads it). */
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, started);
	elog(DEBUG1, "pg_background: loaded the Go library in %.3f ms",
		 INSTR_TIME_GET_MILLISEC(elapsed));
}

void
pgbg_go_preload(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (go_parse != NULL)
		return;
	/*
	 * load_go_library raises only after it restored the signal mask and
	 * holds nothing: its error can be dropped here and will be raised again
	 * when the library is needed.
	 */
	PG_TRY();
	{
		load_go_library();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
	}
	PG_END_TRY();
}

int32
pgbg_go_parse(const PgbgRawMsg *msgs, int32 nmsgs, PgbgParseOut *out,
			  char *errbuf, int32 errbuf_len)
{
	if (go_parse == NULL)
		load_go_library();
	return go_parse(msgs, nmsgs, out, errbuf, errbuf_len);
}
