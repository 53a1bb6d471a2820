# Updates to 1.8: from our 1.0, and from the original extension's 1.4-1.8
# (the catalogs of regress/upgrade/original-*.sql).  After ALTER EXTENSION
# pg_background UPDATE each database must hold what a fresh CREATE
# EXTENSION makes: the same members (\dx+), functions (signature, result,
# defaults, SECURITY DEFINER, settings, ACL), types (attributes, ACL), and
# pgbackground_role must give the API.
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# next to this directory, in the tree and in scripts/tap.sh's scratch copy
my $fixtures = "$FindBin::RealBin/../upgrade";
-f "$fixtures/original-1.4.sql" or BAIL_OUT("no upgrade fixtures in $fixtures");

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->start;

sub sql { my ($db, $q, %p) = @_; return $node->safe_psql($db, $q, %p); }
sub lines { my ($s) = @_; return [ split /\n/, $s ]; }

# The extension's members, as \dx+ lists them.
my $members_sql = q{
SELECT pg_describe_object(d.classid, d.objid, d.objsubid)
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND e.extname = 'pg_background'
 ORDER BY 1};

# An ACL with the owner (grantee or grantor) written OWNER; NULL is the
# default ACL of the kind ('f' function, 'T' type).
sub acl_sql
{
	my ($acl, $kind, $owner) = @_;
	return qq{(SELECT string_agg(x, ',' ORDER BY x) FROM (
	   SELECT format('%s=%s/%s%s',
	            CASE a.grantee WHEN 0 THEN 'PUBLIC' WHEN $owner THEN 'OWNER' ELSE a.grantee::regrole::text END,
	            a.privilege_type,
	            CASE a.grantor WHEN $owner THEN 'OWNER' ELSE a.grantor::regrole::text END,
	            CASE WHEN a.is_grantable THEN '*' ELSE '' END) AS x
	     FROM aclexplode(coalesce($acl, acldefault('$kind', $owner))) a) acl)};
}

my $member_functions = q{
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_extension'::regclass
  JOIN pg_language l ON l.oid = p.prolang
 WHERE e.extname = 'pg_background'};

# What callers see: names, argument types, argument names and defaults,
# result, set-returning, SECURITY DEFINER, SET options, ACL.
my $functions_sql = qq{
SELECT concat_ws(' | ', p.oid::regprocedure, p.proargtypes::regtype[],
         pg_get_function_arguments(p.oid), pg_get_expr(p.proargdefaults, 0),
         pg_get_function_result(p.oid), 'retset=' || p.proretset,
         'secdef=' || p.prosecdef, 'config=' || coalesce(p.proconfig::text, '-'),
         'acl=' || @{[acl_sql('p.proacl', 'f', 'p.proowner')]})
  $member_functions
 ORDER BY 1};

# How they are implemented.
my $impl_sql = qq{
SELECT concat_ws(' | ', p.oid::regprocedure, l.lanname,
         CASE l.lanname WHEN 'c' THEN p.prosrc ELSE 'body md5 ' || md5(p.prosrc) END,
         coalesce(p.probin, '-'), 'strict=' || p.proisstrict,
         'volatile=' || p.provolatile::text, 'parallel=' || p.proparallel::text)
  $member_functions
 ORDER BY 1};

my $types_sql = qq{
SELECT concat_ws(' | ', t.oid::regtype, t.typtype,
         (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
            FROM pg_attribute a
           WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
         'acl=' || @{[acl_sql('t.typacl', 'T', 't.typowner')]})
  FROM pg_type t
  JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_extension'::regclass
 WHERE e.extname = 'pg_background'
 ORDER BY 1};

sub snapshot
{
	my ($db) = @_;
	return {
		version => sql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'pg_background'}),
		members => lines(sql($db, $members_sql)),
		functions => lines(sql($db, $functions_sql)),
		impl => lines(sql($db, $impl_sql)),
		types => lines(sql($db, $types_sql)),
	};
}

# $impl: also compare how the functions are implemented (language, symbol,
# module, strictness...); an update replaces all but the original 1.8's.
sub same_as
{
	my ($name, $got, $want, $impl) = @_;
	is($got->{version}, $want->{version}, "$name: extversion $want->{version}");
	is_deeply($got->{members}, $want->{members}, "$name: members as a fresh install's");
	is_deeply($got->{functions}, $want->{functions},
		"$name: functions (arguments, defaults, result, security, settings, ACL) as a fresh install's");
	is_deeply($got->{types}, $want->{types}, "$name: types (attributes, ACL) as a fresh install's");
	if ($impl)
	{
		is_deeply($got->{impl}, $want->{impl},
			"$name: functions implemented as in a fresh install (language, symbol, module, strictness)");
	}
	else
	{
		my %want = map { $_ => 1 } @{ $want->{impl} };
		my @kept = map { (split / \| /)[0] } grep { !$want{$_} } @{ $got->{impl} };
		note("$name: implemented otherwise than ours (STRICT, module \$libdir/pg_background...): @kept")
		  if @kept;
	}
}

# ALTER EXTENSION pg_background UPDATE, as a test.
sub update
{
	my ($name, $db) = @_;
	my ($ret, $out, $err) = $node->psql($db, 'ALTER EXTENSION pg_background UPDATE');
	is($ret, 0, "$name: ALTER EXTENSION pg_background UPDATE") or diag($err);
	return $ret == 0;
}

# Roles are global: the executor role (made by the first install), a member
# of it, and a role for the privilege helpers.
sql('postgres', q{CREATE ROLE alice LOGIN; CREATE ROLE some_role NOLOGIN});

# The reference: a fresh install (our 1.0 and 1.0--1.8).
sql('postgres', 'CREATE DATABASE fresh');
sql('fresh', 'CREATE EXTENSION pg_background');
my $fresh = snapshot('fresh');
is($fresh->{version}, '1.8', 'a fresh install is 1.8');
is(scalar(grep { /^function / } @{ $fresh->{members} }), 18, 'a fresh install has 18 functions');
is_deeply([ grep { /^type / } @{ $fresh->{members} } ],
	[ 'type pg_background_handle', 'type pg_background_progress', 'type pg_background_stats' ],
	'a fresh install has the three types');
sql('postgres', 'GRANT pgbackground_role TO alice');

# A member of pgbackground_role may use the API; the helpers grant and
# revoke it in the extension's schema after ALTER EXTENSION SET SCHEMA.
sub usable
{
	my ($name, $db) = @_;
	is(sql($db, q{SELECT has_function_privilege('alice', 'pg_background_launch_v2(text, integer)', 'EXECUTE'),
	                     has_function_privilege('alice', 'pg_background_result_v2(integer, bigint)', 'EXECUTE'),
	                     has_function_privilege('alice', 'pg_background_stats_v2()', 'EXECUTE'),
	                     has_type_privilege('alice', 'pg_background_handle', 'USAGE'),
	                     has_function_privilege('alice', 'grant_pg_background_privileges(text, boolean)', 'EXECUTE'),
	                     has_function_privilege('some_role', 'pg_background_launch(text, integer)', 'EXECUTE')}),
		't|t|t|t|f|f', "$name: pgbackground_role's members have the API, not the helpers; PUBLIC nothing");
	is(sql($db, q{SELECT (h).pid AS pid, (h).cookie AS cookie FROM pg_background_launch_v2('SELECT 6 * 7') h \gset
SELECT * FROM pg_background_result_v2(:pid, :cookie) AS (x int)}, extra_params => [ '-U', 'alice' ]),
		'42', "$name: a member of pgbackground_role runs a job with launch_v2 and result_v2");
	sql($db, 'CREATE SCHEMA s; ALTER EXTENSION pg_background SET SCHEMA s');
	is(sql($db, q{SELECT has_function_privilege('some_role', 's.pg_background_launch_v2(text, integer)', 'EXECUTE'),
	                     s.grant_pg_background_privileges('some_role'),
	                     has_function_privilege('some_role', 's.pg_background_launch_v2(text, integer)', 'EXECUTE'),
	                     has_function_privilege('some_role', 's.pg_background_get_progress_v2(integer, bigint)', 'EXECUTE'),
	                     has_type_privilege('some_role', 's.pg_background_progress', 'USAGE')}),
		'f|t|t|t|t', "$name: relocated to s, grant_pg_background_privileges grants on s.*");
	is(sql($db, q{SELECT s.revoke_pg_background_privileges('some_role'),
	                     has_function_privilege('some_role', 's.pg_background_launch_v2(text, integer)', 'EXECUTE'),
	                     has_type_privilege('some_role', 's.pg_background_handle', 'USAGE')}),
		't|f|f', "$name: and revoke_pg_background_privileges revokes them");
}

# Our 1.0, updated.
sql('postgres', 'CREATE DATABASE from10');
sql('from10', q{CREATE EXTENSION pg_background VERSION '1.0'});
if (update('1.0', 'from10'))
{
	same_as('1.0', snapshot('from10'), $fresh, 1);
	usable('1.0', 'from10');
}

# The original's versions, updated.
for my $v ('1.4', '1.5', '1.6', '1.7', '1.8')
{
	(my $db = "orig$v") =~ s/\.//;
	sql('postgres', "CREATE DATABASE $db");
	sql($db, "\\i $fixtures/original-$v.sql");
	my $before = snapshot($db);
	is($before->{version}, $v, "original $v: fixture at $v");
	if ($v ne '1.8')
	{
		isnt(join("\n", @{ $before->{members} }, @{ $before->{functions} }),
			join("\n", @{ $fresh->{members} }, @{ $fresh->{functions} }),
			"original $v: fixture differs from 1.8");
	}
	# a user's table holding handles survives the update
	my $holds = $v ne '1.4';
	sql($db, q{CREATE TABLE held (h pg_background_handle); INSERT INTO held VALUES ((7, 8))}) if $holds;
	update("original $v", $db) or next;
	my $after = snapshot($db);
	is_deeply($after, $before, 'original 1.8: the update changes nothing') if $v eq '1.8';
	same_as("original $v", $after, $fresh, $v ne '1.8');
	if ($holds)
	{
		is(sql($db, q{SELECT (h).pid, (h).cookie, pg_typeof(h) FROM held}), '7|8|pg_background_handle',
			"original $v: a table of handles keeps them");
	}
	usable("original $v", $db);
}

# Versions of the original reached from its 1.1 through its 1.4 (and its
# 1.4--1.6) keep pg_background_discard_result(int4) of 1.1 and the helpers
# of 1.4, whose first parameter is user_name.
for my $v ('1.4', '1.6', '1.7')
{
	(my $db = "via11_$v") =~ s/\.//;
	sql('postgres', "CREATE DATABASE $db");
	sql($db, "\\i $fixtures/original-$v.sql");
	sql($db, q{
CREATE FUNCTION pg_background_discard_result(pid int4) RETURNS void STRICT
    LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'gone'; END$$;
ALTER EXTENSION pg_background ADD FUNCTION pg_background_discard_result(int4);
ALTER EXTENSION pg_background DROP FUNCTION grant_pg_background_privileges(text, boolean);
ALTER EXTENSION pg_background DROP FUNCTION revoke_pg_background_privileges(text, boolean);
DROP FUNCTION grant_pg_background_privileges(text, boolean);
DROP FUNCTION revoke_pg_background_privileges(text, boolean);
CREATE FUNCTION grant_pg_background_privileges(user_name text, print_commands boolean DEFAULT false)
    RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$BEGIN RETURN false; END$$;
CREATE FUNCTION revoke_pg_background_privileges(user_name text, print_commands boolean DEFAULT false)
    RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$BEGIN RETURN false; END$$;
ALTER EXTENSION pg_background ADD FUNCTION grant_pg_background_privileges(text, boolean);
ALTER EXTENSION pg_background ADD FUNCTION revoke_pg_background_privileges(text, boolean);
REVOKE ALL ON FUNCTION grant_pg_background_privileges(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION revoke_pg_background_privileges(text, boolean) FROM PUBLIC;});
	update("original $v from 1.1", $db) or next;
	same_as("original $v from 1.1", snapshot($db), $fresh, 1);
}

# Original 1.5 installed in another schema: its types are in public
# (CREATE TYPE public....), its functions in the extension's schema.  The
# update moves the types into it, as a fresh install there has them.
sql('postgres', 'CREATE DATABASE fresh_s');
sql('fresh_s', 'CREATE SCHEMA s; CREATE EXTENSION pg_background SCHEMA s');
my $fresh_s = snapshot('fresh_s');
sql('postgres', 'CREATE DATABASE orig15s');
sql('orig15s', "CREATE SCHEMA s; SET search_path = s; \\i $fixtures/original-1.5.sql");
is(sql('orig15s', q{SELECT string_agg(DISTINCT n.nspname, ',')
                      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                     WHERE t.typname IN ('pg_background_handle', 'pg_background_status')}),
	'public', 'original 1.5 in schema s: types in public');
sql('orig15s', q{CREATE TABLE held (h public.pg_background_handle); INSERT INTO held VALUES ((7, 8))});
if (update('original 1.5 in schema s', 'orig15s'))
{
	same_as('original 1.5 in schema s', snapshot('orig15s'), $fresh_s, 1);
	is(sql('orig15s', q{SELECT (h).pid, (h).cookie, pg_typeof(h) FROM held}), '7|8|s.pg_background_handle',
		'original 1.5 in schema s: a table of handles keeps them');
	sql('orig15s', 'ALTER EXTENSION pg_background SET SCHEMA public');
	is(sql('orig15s', q{SELECT count(*) FROM pg_type
	                     WHERE typname LIKE 'pg_background%' AND typnamespace <> 'public'::regnamespace}),
		'0', 'original 1.5 in schema s: relocatable after the update');
}

# no process crashed
unlike(slurp_file($node->logfile), qr/terminated by signal (?:6|7|11)|PANIC/, 'no crash in the server log');
$node->stop;
done_testing();
