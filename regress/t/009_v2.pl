# The v2 API where a single pg_regress run cannot see it: NOTIFY delivered
# or not, a cancel racing the commit many times over, and submitted jobs
# that leave nothing in the session.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('v2');
$node->init;
$node->append_conf('postgresql.conf', "max_worker_processes = 16\n");
$node->start;
$node->safe_psql('postgres', q{
  CREATE EXTENSION pg_background;
  CREATE TABLE t (i int PRIMARY KEY);
});

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

unlike(slurp_file($node->logfile), qr/terminated by signal|PANIC|TRAP/, 'no crash in the server log');
$node->stop;
done_testing();
