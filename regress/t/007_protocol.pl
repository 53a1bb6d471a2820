# Protocol sequences a worker can send that no job's SQL produces, built
# with a test-only module (t/probe): the launcher must report what the job
# did, not a protocol error.
use strict;
use warnings;
use File::Basename;
use File::Copy;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# build the probe in a scratch copy
my $probe = PostgreSQL::Test::Utils::tempdir() . '/probe';
mkdir $probe or die "mkdir $probe: $!";
copy(dirname(__FILE__) . "/probe/$_", "$probe/$_") or die "copy $_: $!"
  for ('pgbg_probe.c', 'Makefile');
my $make = `make -s -C '$probe' 2>&1`;
is($?, 0, 'probe module built') or diag($make);

my $node = PostgreSQL::Test::Cluster->new('protocol');
$node->init;
$node->start;
$node->safe_psql('postgres', qq{
  CREATE EXTENSION pg_background;
  CREATE FUNCTION pgbg_probe_error_then_fatal() RETURNS void
    AS '$probe/pgbg_probe.so' LANGUAGE C;
});

# An ERROR, then the worker's FATAL before ReadyForQuery: the ERROR is what
# the job did (SQLSTATE and message kept), the exit is told in its context.
my ($ret, $out, $err) = $node->psql('postgres', q{
  SELECT * FROM pg_background_result(pg_background_launch('SELECT pgbg_probe_error_then_fatal()')) AS (x text);
}, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  22012: the job's own error/, 'the first error is raised, with its SQLSTATE');
like($err, qr/CONTEXT:  background worker then exited: terminating background worker "pg_background" due to administrator command/,
	'the FATAL that followed is in its context');
unlike($err, qr/second ErrorResponse|invalid message/, 'not a protocol error');
is($node->safe_psql('postgres', q{
  SELECT * FROM pg_background_result(pg_background_launch('SELECT 1')) AS (x int)}), '1', 'the session goes on');

$node->stop;
done_testing();
