# On a streaming hot standby, read-only jobs run (reports offloaded to a
# replica) and a write fails as any write on a standby does; workers are
# reused there as on a primary.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "max_worker_processes = 16\n");
$primary->start;
$primary->safe_psql('postgres', q{
  CREATE EXTENSION pg_background;
  CREATE TABLE report (region text, amount int);
  INSERT INTO report VALUES ('north', 10), ('north', 5), ('south', 7);
});
$primary->backup('base');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->append_conf('postgresql.conf', "max_worker_processes = 16\n");
$standby->start;
$primary->safe_psql('postgres', "INSERT INTO report VALUES ('south', 1)");
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'standby is in recovery');

# a read-only job, twice in one session (the second in the reused worker)
my $out = $standby->safe_psql('postgres', q{
  SET pg_background.worker_idle_timeout = '10s';
  SELECT pg_background_launch('SELECT region, sum(amount)::int FROM report GROUP BY region ORDER BY region') AS p1 \gset
  SELECT * FROM pg_background_result(:p1) AS (region text, total int);
  SELECT pg_background_launch('SELECT current_setting(''transaction_read_only''), pg_is_in_recovery()') AS p2 \gset
  SELECT * FROM pg_background_result(:p2) AS (ro text, rec bool);
  SELECT :p1 = :p2;
});
is($out, "north|15\nsouth|8\non|t\nt", 'read-only jobs run on the standby, in a reused worker');

# a write fails with PostgreSQL's own error, and the worker goes on
my ($ret, $stdout, $stderr) = $standby->psql('postgres', q{
  SELECT * FROM pg_background_result(pg_background_launch('INSERT INTO report VALUES (''east'', 1)')) AS (t text);
});
isnt($ret, 0, 'a write fails');
like($stderr, qr/ERROR:  cannot execute INSERT in a read-only transaction/, 'with the standby\'s error');
unlike($stderr, qr/failed to initialize/, 'not a settings failure');
is($standby->safe_psql('postgres', q{
  SELECT pgbg_x FROM pg_background_result(pg_background_launch('SELECT count(*)::int FROM report')) AS (pgbg_x int)}),
	'4', 'the next job runs');

# settings of the launcher's own transaction do not stop a job on the
# primary either (the job's transaction is its own)
is($primary->safe_psql('postgres', q{
  BEGIN READ ONLY;
  SELECT * FROM pg_background_result(pg_background_launch('INSERT INTO report VALUES (''west'', 2)')) AS (t text);
  COMMIT;}), 'INSERT 0 1', 'a read-only launcher transaction does not make the job read-only');

unlike(slurp_file($standby->logfile), qr/terminated by signal|PANIC|failed to initialize/,
	'no crash or settings failure in the standby log');
$standby->stop;
$primary->stop;
done_testing();
