# Eight sessions launch workers concurrently while worker slots run out:
# every call succeeds with its own result or fails with the out-of-slots
# error (53000); nothing hangs, nothing leaks, results never mix.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('load');
$node->init;
# worker_slot_wait = 0: a launch fails at once when no slot is free
$node->append_conf('postgresql.conf',
	"max_worker_processes = 7\nmax_connections = 40\npg_background.worker_slot_wait = 0\n");
$node->start;
$node->safe_psql('postgres', q{
  CREATE EXTENSION pg_background;
  CREATE TABLE outcome (busy bool);
  -- launch a worker returning v, check that v comes back; count 53000s
  CREATE FUNCTION check_one(v int) RETURNS void LANGUAGE plpgsql AS $$
  DECLARE got int; p int;
  BEGIN
    BEGIN
      p := pg_background_launch(format('SELECT %s, pg_sleep(random() / 100)', v));
    EXCEPTION WHEN insufficient_resources THEN
      INSERT INTO outcome VALUES (true);
      RETURN;
    END;
    SELECT x INTO got FROM pg_background_result(p) AS (x int, s text);
    IF got IS DISTINCT FROM v THEN
      RAISE EXCEPTION 'result mixed up: launched % got %', v, got;
    END IF;
    INSERT INTO outcome VALUES (false);
  END $$;
});

$node->pgbench(
	'--no-vacuum --client=8 --jobs=4 --transactions=250',
	0,
	[qr{processed: 2000/2000}],
	[qr{^$}],
	'8 clients x 250 launches, no failure other than out-of-slots',
	{ '002_load_script' => q{
\set v random(1, 2000000000)
SELECT check_one(:v);
} });

my $counts = $node->safe_psql('postgres',
	'SELECT count(*) FILTER (WHERE busy), count(*) FILTER (WHERE NOT busy) FROM outcome');
my ($busy, $done) = split /\|/, $counts;
is($busy + $done, 2000, "every call accounted for ($done results, $busy out of slots)");
cmp_ok($busy, '>', 0, 'the slots did run out');
cmp_ok($done, ">", 50, "and many calls succeeded (each checked)");
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pg_background'"),
	'no worker left');

# With the default worker_slot_wait (200ms), launches wait out slots held by
# exited workers the postmaster has not reaped yet: same checks, no hang.
$node->safe_psql('postgres', 'TRUNCATE outcome; ALTER SYSTEM RESET pg_background.worker_slot_wait');
$node->append_conf('postgresql.conf', "pg_background.worker_slot_wait = 200\n");
$node->reload;
$node->pgbench(
	'--no-vacuum --client=8 --jobs=4 --transactions=100',
	0,
	[qr{processed: 800/800}],
	[qr{^$}],
	'8 clients x 100 launches with the slot wait',
	{ '002_load_script2' => q{
\set v random(1, 2000000000)
SELECT check_one(:v);
} });
($busy, $done) = split /\|/, $node->safe_psql('postgres',
	'SELECT count(*) FILTER (WHERE busy), count(*) FILTER (WHERE NOT busy) FROM outcome');
is($busy + $done, 800, "every call accounted for ($done results, $busy out of slots)");
cmp_ok($done, '>', $busy, 'waiting for slots makes most calls succeed');
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pg_background'"),
	'no worker left');
# no process crashed (a SIGKILL sent on purpose is signal 9)
unlike(slurp_file($node->logfile), qr/terminated by signal (?:6|7|11)|PANIC/, 'no crash in the server log');
$node->stop;
done_testing();
