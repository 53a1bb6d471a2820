# One granted role must not starve the cluster of worker slots:
#  - pg_background.max_workers_per_role caps the workers connected as one
#    role (CONNECTION LIMIT does not count background workers);
#  - an idle pooled worker never makes a launch fail: a launch that finds
#    no free slot makes idle workers of any session leave;
#  - pg_background.max_worker_idle_timeout caps how long a worker idles.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('limits');
$node->init;
# 5 slots: the logical replication launcher takes one
$node->append_conf('postgresql.conf', qq{
max_worker_processes = 5
max_parallel_workers = 0
pg_background.max_workers_per_role = 2
pg_background.max_worker_idle_timeout = '1h'
});
$node->start;
$node->safe_psql('postgres', q{
  CREATE EXTENSION pg_background;
  CREATE ROLE app LOGIN CONNECTION LIMIT 1;
  CREATE ROLE other LOGIN;
  GRANT EXECUTE ON FUNCTION pg_background_launch(text, int4), pg_background_result(int4),
    pg_background_detach(int4) TO app, other;
});

# An interactive psql session kept open across queries (PostgreSQL 15's
# Cluster.pm has no BackgroundPsql).
sub session {
	my @user = @_ ? ('-U', $_[0]) : ();
	my $s = { in => '', out => '', err => '' };
	$s->{timer} = IPC::Run::timer($PostgreSQL::Test::Utils::timeout_default);
	$s->{h} = IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'), @user ],
		'<', \$s->{in}, '>', \$s->{out}, '2>', \$s->{err}, $s->{timer});
	return $s;
}

sub query {
	my ($s, $sql) = @_;
	$s->{out} = '';
	$s->{in} .= "$sql\n\\echo __done__\n";
	$s->{timer}->start($PostgreSQL::Test::Utils::timeout_default);
	$s->{h}->pump until $s->{out} =~ /__done__\n\z/ || $s->{timer}->is_expired;
	die "query timed out: $sql\nstderr: $s->{err}" if $s->{timer}->is_expired;
	(my $out = $s->{out}) =~ s/\n?__done__\n\z//;
	return $out;
}

sub quit {
	my ($s) = @_;
	$s->{in} .= "\\q\n";
	$s->{h}->finish;
}

sub workers {
	my ($where) = @_;
	$where //= 'true';
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_background' AND $where");
}

sub wait_workers {
	my ($n, $msg) = @_;
	ok($node->poll_query_until('postgres',
		"SELECT count(*) = $n FROM pg_stat_activity WHERE backend_type = 'pg_background'"), $msg);
}

# 1. Per-role cap: a role with CONNECTION LIMIT 1 gets at most 2 workers,
#    also with detached jobs that outlive its session; superusers are not
#    capped; the role can launch again once its workers are gone.
{
	my ($ret, $out, $err) = $node->psql('postgres', q{
	  SELECT pg_background_detach(pg_background_launch('SELECT pg_sleep(3)'));
	  SELECT pg_background_detach(pg_background_launch('SELECT pg_sleep(3)'));
	  SELECT pg_background_launch('SELECT 1');
	}, extra_params => [ '-U', 'app', '-v', 'VERBOSITY=verbose' ]);
	like($err, qr/ERROR:  53300: too many background workers for role "app"/, 'third worker of the role refused (53300)');
	like($err, qr/DETAIL:  Its sessions have 2 background workers; pg_background.max_workers_per_role is 2/, 'detail names the setting');
	is(workers("usename = 'app'"), 2, 'the role has its 2 workers');
	($ret, $out, $err) = $node->psql('postgres', q{SELECT pg_background_launch('SELECT 1')},
		extra_params => [ '-U', 'app' ]);
	like($err, qr/too many background workers for role "app"/, 'also from a new session while the detached jobs run');
	is($node->safe_psql('postgres', q{
	  SELECT * FROM pg_background_result(pg_background_launch('SELECT 42')) AS (x int)}),
		'42', 'a superuser is not capped');
	is($node->safe_psql('postgres', q{
	  SELECT * FROM pg_background_result(pg_background_launch('SELECT current_user')) AS (u name)},
		extra_params => [ '-U', 'other' ]), 'other', 'another role is not capped by app\'s workers');
	wait_workers(0, 'the detached jobs finished');
	is($node->safe_psql('postgres', q{
	  SELECT * FROM pg_background_result(pg_background_launch('SELECT 7')) AS (x int)},
		extra_params => [ '-U', 'app' ]), '7', 'the role launches again once its workers are gone');

	# the role's own idle workers do not count against a new launch: they
	# are asked to leave
	is($node->safe_psql('postgres', q{
	  SET pg_background.worker_idle_timeout = '1h';
	  SELECT pg_background_launch('SELECT 1') AS a \gset
	  SELECT pg_background_launch('SELECT 2') AS b \gset
	  SELECT * FROM pg_background_result(:a) AS (x int);
	  SELECT * FROM pg_background_result(:b) AS (x int);
	  SELECT * FROM pg_background_result(pg_background_launch('SELECT 3', 1024 * 1024)) AS (x int);
	}, extra_params => [ '-U', 'app' ]), "1\n2\n3", 'idle workers of the role make way for a new one');
	wait_workers(0, 'and leave with their session');
}

# 2. Idle workers of other sessions never make a launch fail: session A
#    keeps its 4 workers idle for an hour, holding every free slot; session
#    B still launches (with no slot wait at all), and A's next jobs run.
{
	my $a = session();
	query($a, q{
	  SET pg_background.worker_idle_timeout = '1h';
	  SELECT pg_background_launch('SELECT 1') AS a1 \gset
	  SELECT pg_background_launch('SELECT 2') AS a2 \gset
	  SELECT pg_background_launch('SELECT 3') AS a3 \gset
	  SELECT pg_background_launch('SELECT 4') AS a4 \gset
	  SELECT * FROM pg_background_result(:a1) AS (x int);
	  SELECT * FROM pg_background_result(:a2) AS (x int);
	  SELECT * FROM pg_background_result(:a3) AS (x int);
	  SELECT * FROM pg_background_result(:a4) AS (x int);
	});
	ok($node->poll_query_until('postgres',
		"SELECT count(*) = 4 FROM pg_stat_activity WHERE backend_type = 'pg_background' AND state = 'idle'"),
		'session A holds 4 idle workers: every free slot');
	my $t0 = time();
	is($node->safe_psql('postgres', q{
	  SET pg_background.worker_slot_wait = 0;
	  SELECT * FROM pg_background_result(pg_background_launch('SELECT ''B ran''')) AS (x text)}),
		'B ran', 'session B launched: an idle worker of A left for it');
	cmp_ok(time() - $t0, '<', 10, 'without waiting out any timeout');
	is(query($a, q{
	  SELECT string_agg(x::text, ',') FROM (
	    SELECT * FROM pg_background_result(pg_background_launch('SELECT 5')) AS (x int)
	    UNION ALL
	    SELECT * FROM pg_background_result(pg_background_launch('SELECT 6')) AS (x int)) s;
	}), '5,6', 'and session A goes on with the workers it has left');
	quit($a);
	wait_workers(0, 'no worker left');
}

# 3. A user cannot idle a worker beyond pg_background.max_worker_idle_timeout
#    (only a superuser sets it); a reload lowers it for workers already idle.
{
	$node->safe_psql('postgres', q{
	  ALTER SYSTEM SET pg_background.max_worker_idle_timeout = '500ms';
	  SELECT pg_reload_conf();});
	my $t0 = time();
	$node->safe_psql('postgres', q{
	  SET pg_background.worker_idle_timeout = '1h';
	  SELECT * FROM pg_background_result(pg_background_launch('SELECT 1')) AS (x int);
	  SELECT pg_sleep(3);
	  SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_background';
	}, extra_params => [ '-U', 'app' ]) =~ /(\d+)$/;
	is($1, 0, 'the idle worker left after the maximum, within its session');

	$node->safe_psql('postgres', q{
	  ALTER SYSTEM SET pg_background.max_worker_idle_timeout = '1h';
	  SELECT pg_reload_conf();});
	my $b = session('app');
	query($b, q{
	  SET pg_background.worker_idle_timeout = '1h';
	  SELECT * FROM pg_background_result(pg_background_launch('SELECT 1')) AS (x int);
	});
	ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_background' AND state = 'idle'"),
		'a worker idles for its session');
	$node->safe_psql('postgres', q{
	  ALTER SYSTEM SET pg_background.max_worker_idle_timeout = '100ms';
	  SELECT pg_reload_conf();});
	wait_workers(0, 'lowering the maximum ends its wait');
	quit($b);
	$node->safe_psql('postgres', q{
	  ALTER SYSTEM RESET pg_background.max_worker_idle_timeout;
	  SELECT pg_reload_conf();});
}

unlike(slurp_file($node->logfile), qr/terminated by signal (?:6|7|11)|PANIC/, 'no crash in the server log');
$node->stop;
done_testing();
