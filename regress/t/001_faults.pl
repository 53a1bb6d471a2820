# Faults a worker or its launcher can meet, and that nothing leaks after
# them: a client that vanishes while its session waits, a launcher
# terminated mid-stream, a worker that cannot start, a SIGKILLed worker.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('faults');
$node->init;
# TAP clusters default to restart_after_crash = off; PostgreSQL's default is on
$node->append_conf('postgresql.conf',
	"max_worker_processes = 32\ndeadlock_timeout = 200ms\nrestart_after_crash = on\n");
$node->start;
$node->safe_psql('postgres', q{
  CREATE EXTENSION pg_background;
  CREATE TABLE t (id int);
  CREATE TABLE big (g int);
  CREATE ROLE app LOGIN;
  GRANT ALL ON t TO app;
  GRANT EXECUTE ON FUNCTION pg_background_launch(text, int4), pg_background_result(int4) TO app;
});

sub workers {
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_background'");
}

sub dsm_segments {
	opendir(my $d, '/dev/shm') or return -1;
	my $n = grep { /^PostgreSQL\./ } readdir($d);
	closedir($d);
	return $n;
}

sub wait_no_workers {
	ok($node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pg_background'"),
		$_[0]);
}

my $dsm_baseline = dsm_segments();

# 1. The client disappears while its session waits for a result: the
#    session ends and the worker it waited for is cancelled (its INSERT,
#    after a sleep, never commits).
{
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-XAt', '-d', $node->connstr('postgres'), '-c',
		  q{SELECT * FROM pg_background_result(pg_background_launch(
		      'SELECT pg_sleep(20); INSERT INTO t VALUES (1)')) AS (x text)} ],
		'>', \$out, '2>', \$err);
	ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_background' AND query LIKE 'SELECT pg_sleep(20)%'"),
		'worker running');
	my $t0 = time();
	$h->signal('KILL');
	$h->finish;
	ok($node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(20)%' AND pid <> pg_backend_pid()"),
		'launcher and worker gone after the client vanished');
	cmp_ok(time() - $t0, '<', 15, 'well before the worker would have finished');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM t'), '0',
		'the cancelled worker did not commit');
}

# 2. The launcher is terminated while the worker streams a write's rows:
#    the write is all or nothing, and nothing is left behind.
{
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-XAt', '-d', $node->connstr('postgres'), '-c',
		  q{SELECT count(*) FROM pg_background_result(pg_background_launch(
		      'INSERT INTO big SELECT g FROM generate_series(1, 300000) g RETURNING g', 16384)) AS (g int)} ],
		'>', \$out, '2>', \$err);
	ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'client backend' AND query LIKE '%INSERT INTO big%' AND pid <> pg_backend_pid()"),
		'launcher reading');
	$node->safe_psql('postgres',
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND query LIKE '%INSERT INTO big%' AND pid <> pg_backend_pid()");
	$h->finish;
	wait_no_workers('no worker left after the launcher was terminated');
	my $n = $node->safe_psql('postgres', 'SELECT count(*) FROM big');
	ok($n == 0 || $n == 300000, "the write is all or nothing ($n rows)");
}

# 3. A worker that cannot start as its launcher: the role lost LOGIN after
#    the launcher's session began.
{
	my ($in, $out, $err) = ("SELECT 'connected';\n", '', '');
	my $h = IPC::Run::start(
		[ 'psql', '-XAt', '-U', 'app', '-d', $node->connstr('postgres') ],
		'<', \$in, '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	$h->pump until $out =~ /connected/;
	$node->safe_psql('postgres', 'ALTER ROLE app NOLOGIN');
	$in .= "SELECT * FROM pg_background_result(pg_background_launch('SELECT 1')) AS (x int);\n\\q\n";
	$h->finish;
	like($err, qr/role "app" is not permitted to log in/, 'start-up failure reported');
	$node->safe_psql('postgres', 'ALTER ROLE app LOGIN');
	my ($r2, $o2, $e2) = $node->psql('postgres', q{
	  SELECT * FROM pg_background_result(pg_background_launch('SELECT 1')) AS (x int);
	}, extra_params => [ '-U', 'app' ]);
	is($o2, '1', 'works again with LOGIN');
}

# 3b. The role was dropped after the launcher's session began.
{
	# a wrapper granted to PUBLIC, so that the role holds no privilege that
	# would keep it from being dropped; the worker still connects as the
	# session's authenticated user, the dropped role
	$node->safe_psql('postgres', q{
	  CREATE ROLE gone LOGIN;
	  CREATE FUNCTION run_bg(sql text) RETURNS SETOF int LANGUAGE sql SECURITY DEFINER
	    AS $$ SELECT * FROM pg_background_result(pg_background_launch(sql)) AS (x int) $$;
	  GRANT EXECUTE ON FUNCTION run_bg(text) TO PUBLIC;
	});
	my ($in, $out, $err) = ("SELECT 'connected';\n", '', '');
	my $h = IPC::Run::start(
		[ 'psql', '-XAt', '-U', 'gone', '-d', $node->connstr('postgres') ],
		'<', \$in, '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	$h->pump until $out =~ /connected/;
	$node->safe_psql('postgres', 'DROP ROLE gone');
	$in .= "SELECT run_bg('SELECT 1');\n\\q\n";
	$h->finish;
	like($err, qr/role with OID \d+ does not exist/, 'dropped role reported');
}

# 3c. Another session's worker is not ours to read or detach.
{
	my ($in, $out, $err) = ("SELECT 'worker=' || pg_background_launch('SELECT pg_sleep(10)');\n", '', '');
	my $h = IPC::Run::start(
		[ 'psql', '-XAt', '-d', $node->connstr('postgres') ],
		'<', \$in, '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	$h->pump until $out =~ /worker=(\d+)/;
	my $wpid = $1;
	my ($r, $o, $e) = $node->psql('postgres',
		"SELECT * FROM pg_background_result($wpid) AS (x text)");
	like($e, qr/PID $wpid is not attached to this session/, "another session's worker cannot be read");
	($r, $o, $e) = $node->psql('postgres', "SELECT pg_background_detach($wpid)");
	like($e, qr/PID $wpid is not attached to this session/, "nor detached");
	$in .= "SELECT pg_terminate_backend($wpid);\n\\q\n";
	$h->finish;
}

# 4. A SIGKILLed worker makes the postmaster reinitialise, as any backend
#    would; the cluster comes back and the extension works.
{
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-XAt', '-d', $node->connstr('postgres'), '-c',
		  q{SELECT * FROM pg_background_result(pg_background_launch('SELECT pg_sleep(30)')) AS (x text)} ],
		'>', \$out, '2>', \$err);
	ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_background'"),
		'worker running');
	my $pid = $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_background'");
	kill 'KILL', $pid;
	$h->finish;
	ok($node->poll_query_until('postgres', 'SELECT 1', '1'), 'cluster accepts connections again');
	is($node->safe_psql('postgres',
		q{SELECT * FROM pg_background_result(pg_background_launch('SELECT 42')) AS (x int)}),
		'42', 'extension works after the restart');
}

# 5. No leaks: thousands of launches mixing results, detaches, errors,
#    aborted transactions and terminated launchers.
{
	my $mem = q{SELECT sum(total_bytes) FROM pg_backend_memory_contexts};
	my ($ret, $out, $err) = $node->psql('postgres', qq{
	  $mem;
	  DO \$\$
	  DECLARE p int;
	  BEGIN
	    FOR i IN 1..2000 LOOP
	      p := pg_background_launch(format('SELECT %s', i));
	      CASE i % 4
	        WHEN 0 THEN PERFORM * FROM pg_background_result(p) AS (x int);
	        WHEN 1 THEN PERFORM pg_background_detach(p);
	        WHEN 2 THEN BEGIN
	            PERFORM * FROM pg_background_result(p) AS (x bool);
	          EXCEPTION WHEN datatype_mismatch THEN NULL;
	          END;
	        ELSE BEGIN
	            PERFORM pg_background_launch('SELECT 1/0');
	            RAISE EXCEPTION 'abort';
	          EXCEPTION WHEN raise_exception THEN NULL;
	          END;
	          PERFORM pg_background_detach(p);
	      END CASE;
	    END LOOP;
	  END \$\$;
	  $mem;
	});
	is($ret, 0, '2000 mixed launches ran') or diag("stderr: $err");
	my ($before, $after) = split /\n/, $out;
	cmp_ok($after - $before, '<', 1024 * 1024,
		"launcher memory bounded ($before -> $after bytes)");

	# terminated launchers, each with unread workers
	for my $i (1 .. 20)
	{
		my $h = IPC::Run::start(
			[ 'psql', '-XAt', '-d', $node->connstr('postgres'), '-c',
			  q{SELECT pg_background_launch('SELECT pg_sleep(0.2)'), pg_background_launch('SELECT g FROM generate_series(1,100000) g'), pg_sleep(5)} ],
			'>', \my $o, '2>', \my $e);
		$node->poll_query_until('postgres',
			"SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(5)%' AND pid <> pg_backend_pid()");
		$node->safe_psql('postgres',
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(5)%' AND pid <> pg_backend_pid()");
		$h->finish;
	}
	wait_no_workers('zero workers after the soak');
	$node->poll_query_until('postgres', 'SELECT 1', '1');
	my $ok = 0;
	for (1 .. 100) { if (dsm_segments() <= $dsm_baseline) { $ok = 1; last; } select(undef, undef, undef, 0.1); }
	ok($ok, 'no DSM segment left (' . dsm_segments() . " vs $dsm_baseline at start)");
}

# no process crashed (a SIGKILL sent on purpose is signal 9)
unlike(slurp_file($node->logfile), qr/terminated by signal (?:6|7|11)|PANIC/, 'no crash in the server log');
$node->stop;
done_testing();
