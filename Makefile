# pg_background: PGXS build of the C shim (c/) and the Go library (gosrc/).
#
#   make && make install          build and install (honours PG_CONFIG, DESTDIR)
#   make installcheck             pg_regress suite against a running server
#   make gotest                   Go unit tests
#
# The Go library is loaded at run time by the shim from the directory the
# shim itself was loaded from (never linked as a dependency: see c/pgbg_go.c).

MODULE_big = pg_background
OBJS = c/settings.o c/launch.o c/slots.o c/session.o c/spill.o c/pool.o \
       c/worker.o c/worker_identity.o c/worker_exec.o c/worker_reset.o c/worker_output.o c/worker_dest.o \
       c/job_state.o c/worker_job.o c/api_v2.o c/list_v2.o \
       c/result.o c/result_decode.o c/result_wait.o c/deadlock.o c/relay.o c/pgbg_go.o

EXTENSION = pg_background
DATA = pg_background--1.0.sql
# Update scripts to 1.8: sql/guard.sql, then sql/from-VERSION.sql where
# that version has objects of its own that 1.8 has not, then the common,
# idempotent body sql/v2-1.8.sql.  1.0 is ours; 1.4-1.7 are the original
# extension's.
UPDATE_FROM = 1.0 1.4 1.5 1.6 1.7
DATA_built = $(foreach v,$(UPDATE_FROM),pg_background--$(v)--1.8.sql)

REGRESS = $(patsubst regress/sql/%.sql,%,$(sort $(wildcard regress/sql/*.sql)))
REGRESS_OPTS = --inputdir=regress --outputdir=regress/out --load-extension=pg_background

ISOLATION = $(patsubst regress/specs/%.spec,%,$(sort $(wildcard regress/specs/*.spec)))
ISOLATION_OPTS = --inputdir=regress --outputdir=regress/out-iso --load-extension=pg_background

GOLIB = libpg_background_go.so
EXTRA_CLEAN = $(GOLIB) libpg_background_go.h regress/out regress/out-iso .dist

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Go toolchain.  The build needs no HOME: caches default to the tree.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
GOCACHE ?= $(CURDIR)/.gocache
ifeq ($(HOME),)
GOPATH ?= $(CURDIR)/.gopath
export GOPATH
endif
export GOCACHE
GOFLAGS_BUILD = -buildvcs=false -trimpath
# Async preemption off: no Go thread may unblock SIGURG (latch wakeups).
GOLDFLAGS = -X=runtime.godebugDefault=asyncpreemptoff=1
GOSRC = $(shell find gosrc -name '*.go' -not -name '*_test.go') go.mod go.sum c/pgbg_bridge.h

all: $(GOLIB)

# PGXS tracks no header dependencies: a changed struct must rebuild all.
$(OBJS): $(wildcard c/*.h)

$(GOLIB): $(GOSRC)
	CGO_ENABLED=1 $(GO) build $(GOFLAGS_BUILD) -buildmode=c-shared \
		-ldflags='$(GOLDFLAGS)' -o $@ ./gosrc/bridge

install: install-golib
install-golib: $(GOLIB)
	$(MKDIR_P) '$(DESTDIR)$(pkglibdir)'
	$(INSTALL_SHLIB) $(GOLIB) '$(DESTDIR)$(pkglibdir)/'

uninstall: uninstall-golib
uninstall-golib:
	rm -f '$(DESTDIR)$(pkglibdir)/$(GOLIB)'

installcheck: regress-outdir
regress-outdir:
	$(MKDIR_P) regress/out regress/out-iso

gotest:
	CGO_ENABLED=1 $(GO) test -count=1 ./gosrc/...

.PHONY: install-golib uninstall-golib regress-outdir gotest

define update_script
pg_background--$(1)--1.8.sql: sql/guard.sql $(wildcard sql/from-$(1).sql) sql/v2-1.8.sql
	cat $$^ > $$@
endef
$(foreach v,$(UPDATE_FROM),$(eval $(call update_script,$(v))))

# The release tarball (PGXN, and the Debian/RPM sources): git archive of
# HEAD (without debian/ and .ci/, see .gitattributes) plus the vendored Go
# modules, so that packages build without network.  META.json holds the
# version.
DIST_VERSION = $(shell sed -n 's/^   "version": "\(.*\)",/\1/p' META.json)
DIST = pg_background-$(DIST_VERSION)

dist:
	rm -rf .dist && mkdir .dist
	git archive --format=tar --prefix=$(DIST)/ HEAD | tar -xf - -C .dist
	cd .dist/$(DIST) && GOFLAGS=-mod=mod $(GO) mod vendor
	python3 scripts/check-meta.py .dist/$(DIST)
	tar -czf $(DIST).tar.gz -C .dist $(DIST)
	rm -rf .dist
	@echo "$(DIST).tar.gz"

.PHONY: dist

# Benchmarks (bench/bench.py): figures, never pass/fail on speed.
bench:
	bash bench/run.sh

.PHONY: bench
