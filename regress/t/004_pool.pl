# The session's pool of idle workers (pg_background.worker_idle_timeout):
# concurrent sessions reuse their own workers and never get each other's
# results; when a session ends its idle workers leave at once, quietly,
# whatever the timeout; nothing leaks.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('pool');
$node->init;
$node->append_conf('postgresql.conf',
	"max_worker_processes = 24\npg_background.worker_idle_timeout = '1h'\n");
$node->start;
$node->safe_psql('postgres', q{
  CREATE EXTENSION pg_background;
  CREATE TABLE seen (client int, pid int);
  -- launch and read one job; remember which worker ran it
  CREATE FUNCTION check_one(client int) RETURNS void LANGUAGE plpgsql AS $$
  DECLARE got int; p int;
  BEGIN
    p := pg_background_launch(format('SELECT %s', client));
    SELECT x INTO got FROM pg_background_result(p) AS (x int);
    IF got IS DISTINCT FROM client THEN
      RAISE EXCEPTION 'result mixed up: client % got %', client, got;
    END IF;
    INSERT INTO seen VALUES (client, p);
  END $$;
});

sub workers {
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_background'");
}

# 1. Four sessions, 300 jobs each: every result is the session's own, and
#    each session's jobs ran in its own few workers.
$node->pgbench(
	'--no-vacuum --client=4 --jobs=2 --transactions=300',
	0,
	[qr{processed: 1200/1200}],
	[qr{^$}],
	'4 clients x 300 pooled launches, each reads its own result',
	{ '004_pool_script' => q{
SELECT check_one(:client_id);
} });
my ($clients, $pids, $shared) = split /\|/, $node->safe_psql('postgres', q{
  SELECT count(DISTINCT client), count(DISTINCT pid),
         (SELECT count(*) FROM (SELECT pid FROM seen GROUP BY pid HAVING count(DISTINCT client) > 1) s)
    FROM seen});
is($clients, 4, 'four clients');
cmp_ok($pids, '<=', 8, "1200 jobs ran in $pids workers");
is($shared, 0, 'no worker served two sessions');

# 2. A session ends with idle workers (timeout 1h): they leave at once,
#    without a FATAL line in the log.
$node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pg_background'")
  or die 'workers of the pgbench sessions stayed';
my $log_offset = -s $node->logfile;
my $out = $node->safe_psql('postgres', q{
  SELECT pg_background_launch('SELECT 1') AS a \gset
  SELECT pg_background_launch('SELECT 2') AS b \gset
  SELECT pg_background_launch('SELECT 3') AS c \gset
  SELECT * FROM pg_background_result(:a) AS (x int);
  SELECT * FROM pg_background_result(:b) AS (x int);
  SELECT * FROM pg_background_result(:c) AS (x int);
  SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_background';
});
is($out, "1\n2\n3\n3", 'three idle workers while the session lived');
my $t0 = time();
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pg_background'"),
	'idle workers left with their session');
cmp_ok(time() - $t0, '<', 30, 'at once, not after the idle timeout');
my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/terminating background worker/, 'quietly');

# 3. A session ends while its worker still runs a detached job: the worker
#    finishes the job (it commits), then leaves instead of idling.
$node->safe_psql('postgres', q{
  CREATE TABLE late (x int);
  SELECT pg_background_detach(pg_background_launch('SELECT pg_sleep(1); INSERT INTO late VALUES (1)'));
});
ok($node->poll_query_until('postgres', 'SELECT count(*) = 1 FROM late'),
	'the detached job committed after its session ended');
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pg_background'"),
	'and its worker left');

# 4. One worker serves thousands of jobs of every kind (rows, errors,
#    notices, session state to reset, detaches) without growing.  (Not
#    temporary tables: their local buffers grow up to temp_buffers, as in
#    any backend.)
{
	my $anon = q{regexp_replace(pg_read_file('/proc/' || :p || '/status'), '.*RssAnon:\s+(\d+) kB.*', '\1', 's')::int};
	my $jobs = q{DO $$
	  DECLARE p int;
	  BEGIN
	    FOR i IN 1..2500 LOOP
	      CASE i % 5
	        WHEN 0 THEN PERFORM * FROM pg_background_result(pg_background_launch(
	            'SELECT g, md5(g::text) FROM generate_series(1, 50) g')) AS (g int, t text);
	        WHEN 1 THEN BEGIN
	            PERFORM * FROM pg_background_result(pg_background_launch('SELECT 1/0')) AS (x int);
	          EXCEPTION WHEN division_by_zero THEN NULL;
	          END;
	        WHEN 2 THEN PERFORM * FROM pg_background_result(pg_background_launch(
	            'DO $b$ BEGIN RAISE NOTICE ''n''; END $b$')) AS (x text);
	        WHEN 3 THEN PERFORM * FROM pg_background_result(pg_background_launch(
	            'PREPARE s AS SELECT 1; SET work_mem = ''64MB''; SELECT pg_advisory_lock(1)')) AS (x text);
	        ELSE
	          p := pg_background_launch('SELECT 1');
	          PERFORM pg_sleep(0.001);
	          PERFORM pg_background_detach(p);
	      END CASE;
	    END LOOP;
	  END $$;};
	my ($ret, $out, $err) = $node->psql('postgres', qq{
	  SET client_min_messages = warning;
	  SELECT pg_background_launch('SELECT 1') AS p \\gset
	  SELECT * FROM pg_background_result(:p) AS (x int) \\gset
	  $jobs
	  SELECT $anon AS before \\gset
	  $jobs
	  $jobs
	  SELECT :before, $anon,
	         (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_background');
	});
	is($ret, 0, '7500 mixed jobs ran') or diag("stderr: $err");
	my ($before, $after, $workers) = split /\|/, $out;
	cmp_ok($workers, '<=', 2, "they ran in $workers worker(s)");
	cmp_ok($after - $before, '<', 512,
		"the pooled worker's private memory stayed flat ($before -> $after kB over 5000 jobs)");
}

# no process crashed (a SIGKILL sent on purpose is signal 9)
unlike(slurp_file($node->logfile), qr/terminated by signal (?:6|7|11)|PANIC/, 'no crash in the server log');
$node->stop;
done_testing();
