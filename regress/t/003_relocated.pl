# A relocated install: both shared objects in a directory of their own,
# found through dynamic_library_path (the control file names the module
# without $libdir). The shim finds the Go library next to itself (dladdr),
# in the launcher and for the worker's library alike.
use strict;
use warnings;
use File::Copy;
use File::Path qw(make_path);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $pkglibdir = `pg_config --pkglibdir`;
chomp $pkglibdir;
my $reloc = PostgreSQL::Test::Utils::tempdir() . '/reloc lib';    # a space too
make_path($reloc);
for my $f ('pg_background.so', 'libpg_background_go.so')
{
	copy("$pkglibdir/$f", "$reloc/$f") or die "copy $f: $!";
}

my $node = PostgreSQL::Test::Cluster->new('reloc');
$node->init;
# only the relocated directory: the copies in $libdir cannot be picked up
$node->append_conf('postgresql.conf', "dynamic_library_path = '$reloc'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_background');
is($node->safe_psql('postgres',
	q{SELECT * FROM pg_background_result(pg_background_launch('SELECT 6 * 7')) AS (x int)}),
	'42', 'works from the relocated directory');
my $maps = $node->safe_psql('postgres', q{
  SELECT * FROM pg_background_result(pg_background_launch('SELECT 1')) AS (x int);
  SELECT pg_read_file('/proc/' || pg_backend_pid() || '/maps')});
like($maps, qr{\Q$reloc\E/libpg_background_go\.so}, 'Go library loaded from next to the shim');
unlike($maps, qr{\Q$pkglibdir\E/libpg_background_go\.so}, 'not from $libdir');
# no process crashed (a SIGKILL sent on purpose is signal 9)
unlike(slurp_file($node->logfile), qr/terminated by signal (?:6|7|11)|PANIC/, 'no crash in the server log');
$node->stop;
done_testing();
