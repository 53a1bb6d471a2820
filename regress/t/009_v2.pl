# The v2 API where a single pg_regress run cannot see it: NOTIFY delivered
# or not, a cancel racing the commit many times over, and submitted jobs
# that leave nothing in the session.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('v2');
$node->init(allows_streaming => 1);    # max_wal_senders > 0: a commit may wait for a synchronous standby
$node->append_conf('postgresql.conf', "max_worker_processes = 16\n"
	. "pg_background.default_queue_size = '32kB'\npg_background.max_workers = 12\n");
$node->start;
$node->safe_psql('postgres', q{
  CREATE EXTENSION pg_background;
  CREATE TABLE t (i int PRIMARY KEY);
});

# The v2 settings from postgresql.conf, shown once the library is loaded.
is($node->safe_psql('postgres', q{
  SELECT pg_background_detach_v2((h).pid, (h).cookie) FROM (SELECT pg_background_launch_v2('SELECT 1') h) s;
  SHOW pg_background.default_queue_size;
  SHOW pg_background.max_workers;
  SHOW pg_background.worker_timeout}), "\n32kB\n12\n0", 'settings from postgresql.conf');

# NOTIFY: a canceled job's is never delivered, a committed one's is, also
# when the cancel comes after the commit.  psql prints what arrives.
my $out = $node->safe_psql('postgres', q{
  LISTEN chan;
  SELECT (h).pid AS p, (h).cookie AS c FROM
    (SELECT pg_background_launch_v2($$NOTIFY chan, 'canceled'; SELECT pg_sleep(60)$$) h) s \gset
  SELECT pg_sleep(0.2);
  SELECT pg_background_cancel_v2(:p, :c);
  SELECT pg_background_wait_v2(:p, :c);
  SELECT pg_background_detach_v2(:p, :c);
  SELECT (h).pid AS p, (h).cookie AS c FROM
    (SELECT pg_background_launch_v2($$NOTIFY chan, 'committed'$$) h) s \gset
  SELECT pg_background_wait_v2(:p, :c);
  SELECT pg_background_cancel_v2(:p, :c);
  SELECT pg_background_detach_v2(:p, :c);
  SELECT pg_sleep(0.2);
  SELECT 'end';
});
like($out, qr/payload "committed"/, 'NOTIFY of a committed job arrives');
unlike($out, qr/payload "canceled"/, 'NOTIFY of a canceled job never does');

# A cancel right after the launch of a job of 0-95 rows, 300 times: each job either was canceled
# (state canceled, its row and its NOTIFY absent) or committed first
# (state stopped, row and NOTIFY present) -- never a mix.
$out = $node->safe_psql('postgres', q{
  LISTEN race;
  CREATE TEMP TABLE outcome (i int, state text);
  -- a worker that is connected already: its jobs start at once
  SELECT * FROM pg_background_result(pg_background_launch('SELECT 1')) AS (x int);
  DO $$
  DECLARE h pg_background_handle; st text;
  BEGIN
    FOR i IN 1..300 LOOP
      h := pg_background_launch_v2(format($q$INSERT INTO t VALUES (%s); NOTIFY race, '%s';
                                           SELECT count(*) FROM generate_series(1, %s)$q$, i, i, 5 * (i % 20)));
      PERFORM pg_background_cancel_v2(h.pid, h.cookie);
      PERFORM pg_background_wait_v2(h.pid, h.cookie);
      SELECT state INTO st FROM pg_background_list_v2() AS (pid int4, cookie int8, launched_at timestamptz,
        user_id oid, queue_size int4, state text, sql_preview text, last_error text, consumed bool)
        WHERE cookie = h.cookie;
      INSERT INTO outcome VALUES (i, st);
      PERFORM pg_background_detach_v2(h.pid, h.cookie);
    END LOOP;
  END $$;
  SELECT pg_sleep(0.5);
  SELECT 'states', state, count(*) FROM outcome GROUP BY state ORDER BY state;
  SELECT 'mismatch', count(*) FROM outcome o
   WHERE (o.state = 'stopped') <> EXISTS (SELECT 1 FROM t WHERE t.i = o.i)
      OR o.state NOT IN ('stopped', 'canceled');
  SELECT 'committed', string_agg(i::text, ',' ORDER BY i) FROM t;
});
my ($committed) = $out =~ /^committed\|(.*)$/m;
$committed //= '';
my %notified = map { $_ => 1 } ($out =~ /payload "(\d+)"/g);
is(join(',', sort { $a <=> $b } keys %notified), $committed,
	'NOTIFY delivered exactly for the jobs whose row committed');
like($out, qr/^mismatch\|0$/m, 'state says canceled exactly when nothing committed');
note(join(' ', $out =~ /^states\|(\w+)\|(\d+)$/mg));

# Submitted jobs: fire and forget; nothing of them stays in the session,
# and max_workers counts only those running.
$out = $node->safe_psql('postgres', q{
  SET pg_background.max_workers = 4;
  DO $$
  BEGIN
    FOR i IN 1001..1300 LOOP
      LOOP
        BEGIN
          PERFORM pg_background_submit_v2(format('INSERT INTO t VALUES (%s); SELECT generate_series(1, 1000)', i), 4096);
          EXIT;
        EXCEPTION WHEN configuration_limit_exceeded THEN
          PERFORM pg_sleep(0.001);
        END;
      END LOOP;
    END LOOP;
  END $$;
  SELECT pg_sleep(1);
  SELECT 'rows', count(*) FROM t WHERE i > 1000;
  SELECT 'listed', count(*) FROM pg_background_list_v2() AS (pid int4, cookie int8, launched_at timestamptz,
    user_id oid, queue_size int4, state text, sql_preview text, last_error text, consumed bool);
  SELECT 'stats', workers_launched, workers_completed FROM pg_background_stats_v2();
  SELECT 'workers', count(*) <= 4 FROM pg_stat_activity WHERE backend_type = 'pg_background';
});
like($out, qr/^rows\|300$/m, 'every submitted job ran');
like($out, qr/^listed\|0$/m, 'no submitted job stays in the session');
like($out, qr/^stats\|300\|300$/m, 'each counted as completed');
like($out, qr/^workers\|t$/m, 'at most max_workers workers');

# A cancel that comes while a commit inside a statement is under way (here
# a procedure's COMMIT, held by synchronous replication to a standby that
# does not exist) strikes right after that commit, not at the job's next
# commit: the procedure reports no progress after its COMMIT.
$node->safe_psql('postgres', q{
  CREATE TABLE c (i int);
  CREATE PROCEDURE p() LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO c VALUES (1);
    COMMIT;
    PERFORM pg_background_progress(77, 'after the commit');
    PERFORM pg_sleep(60);
    INSERT INTO c VALUES (2);
    COMMIT;
  END $$;
  ALTER SYSTEM SET synchronous_standby_names = 'nobody';
  SELECT pg_reload_conf();
});
# the postmaster has reloaded: a new session's worker starts with it
$node->poll_query_until('postgres', q{SELECT current_setting('synchronous_standby_names') = 'nobody'})
	or die 'synchronous_standby_names not reloaded';
$out = $node->safe_psql('postgres', q{
  SELECT (h).pid AS p, (h).cookie AS c FROM (SELECT pg_background_launch_v2('CALL p()') h) s \gset
  DO $$
  BEGIN
    FOR i IN 1..6000 LOOP
      EXIT WHEN EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'pg_background' AND wait_event = 'SyncRep');
      PERFORM pg_sleep(0.01);
      PERFORM pg_stat_clear_snapshot();
    END LOOP;
  END $$;
  SELECT pg_background_cancel_v2(:p, :c);
  ALTER SYSTEM RESET synchronous_standby_names;
  SELECT pg_reload_conf();
  SET statement_timeout = '50s';
  SELECT pg_background_wait_v2(:p, :c);
  SELECT 'progress', coalesce((pg_background_get_progress_v2(:p, :c)).progress_pct, -1);
  SELECT 'state', state FROM pg_background_list_v2() AS (pid int4, cookie int8, launched_at timestamptz,
    user_id oid, queue_size int4, state text, sql_preview text, last_error text, consumed bool);
  SELECT 'rows', string_agg(i::text, ',') FROM c;
});
like($out, qr/^progress\|-1$/m, 'a cancel during a COMMIT inside the job strikes right after it');
like($out, qr/^state\|canceled$/m, 'the job ends canceled');
like($out, qr/^rows\|1$/m, 'what committed before the cancel stays, nothing after');

# A session that ends while it waits for a job terminates the job, as
# while it reads the job's result.
{
	my ($o, $e) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-XAt', '-d', $node->connstr('postgres'), '-c',
		  q{SELECT pg_background_wait_v2((h).pid, (h).cookie) FROM (SELECT pg_background_launch_v2(
		      'SELECT pg_sleep(30); INSERT INTO c VALUES (3)') h) s} ],
		'>', \$o, '2>', \$e);
	ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_background' AND query LIKE 'SELECT pg_sleep(30)%'"),
		'job running');
	$node->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	  WHERE backend_type = 'client backend' AND query LIKE '%pg_background_wait_v2%' AND pid <> pg_backend_pid()});
	$h->finish;
	ok($node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'"),
		'the job waited for is terminated with its session');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM c WHERE i = 3'), '0', 'and did not commit');
}

# A client that goes away while its session waits for a job: the session
# ends, and so does the job (as during a read).
{
	my ($o, $e) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-XAt', '-d', $node->connstr('postgres'), '-c',
		  q{SELECT pg_background_wait_v2((h).pid, (h).cookie) FROM (SELECT pg_background_launch_v2(
		      'SELECT pg_sleep(31); INSERT INTO c VALUES (4)') h) s} ],
		'>', \$o, '2>', \$e);
	ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_background' AND query LIKE 'SELECT pg_sleep(31)%'"),
		'job running for a client about to vanish');
	$h->signal('KILL');
	$h->finish;
	ok($node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(31)%' AND pid <> pg_backend_pid()"),
		'the session and the job it waited for end with the client');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM c WHERE i = 4'), '0', 'and the job did not commit');
}

# A type of the extension's name that someone else created first is never
# taken for the extension's (its layout and owner are not ours).
$node->safe_psql('postgres', q{
  CREATE DATABASE squat;
  CREATE ROLE mallory;
});
$node->safe_psql('squat', q{
  GRANT CREATE ON SCHEMA public TO mallory;
  SET ROLE mallory;
  CREATE TYPE public.pg_background_handle AS (pid int4, cookie text);
});
my ($rc, $so, $se) = $node->psql('squat', 'CREATE EXTENSION pg_background');
isnt($rc, 0, 'CREATE EXTENSION refuses a type someone else created');
like($se, qr/type public\.pg_background_handle already exists and is not a member of extension "pg_background"/,
	'and says which');
is($node->safe_psql('squat', q{SELECT count(*) FROM pg_extension WHERE extname = 'pg_background'}), '0',
	'nothing installed');

unlike(slurp_file($node->logfile), qr/terminated by signal|PANIC|TRAP/, 'no crash in the server log');
$node->stop;
done_testing();
