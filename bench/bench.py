#!/usr/bin/env python3
"""pg_background benchmark suite.

Drives a running server (PGHOST/PGPORT/PGUSER) with pgbench, one variant at a
time, interleaving all variants of a case round by round so machine noise
hits them alike. Per-transaction latencies come from pgbench -l logs.
Prints markdown tables (median, p10, p90 in ms, and the ratio of medians to
the case's reference, taken within this run) and writes every figure to a
CSV file.

--quick runs tiny counts and checks results only (it is part of the test
command): it verifies every variant returns what it should, never speed.
"""
import argparse, csv, glob, os, re, shutil, statistics, subprocess, sys, tempfile

import chart

def psql(sql, db=None):
    # on stdin: a string of 1e6 statements is far longer than one argument may be
    cmd = ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1"]
    if db: cmd += ["-d", db]
    if not sql.rstrip().endswith(";"): sql += ";"
    return subprocess.run(cmd, input=sql + "\n", check=True, capture_output=True, text=True).stdout.strip()

def connstr():
    return "host=%s port=%s user=%s dbname=%s" % (
        os.environ.get("PGHOST", "/tmp"), os.environ.get("PGPORT", "5432"),
        os.environ.get("PGUSER", "postgres"), os.environ.get("PGDATABASE", "postgres"))

def pgbench(script, clients=1, transactions=10, connect=False, tmp=None):
    """Run one pgbench pass; return per-transaction latencies in ms."""
    d = tempfile.mkdtemp(dir=tmp)
    f = os.path.join(d, "s.sql")
    with open(f, "w") as fh:
        fh.write(script + "\n")
    cmd = ["pgbench", "-n", "-f", f, "-c", str(clients), "-j", str(min(clients, 2)),
           "-t", str(transactions), "-l", "--log-prefix", os.path.join(d, "log")]
    if connect: cmd.append("-C")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("pgbench failed for %r:\n%s%s" % (script, r.stdout, r.stderr))
    lat = []
    for log in glob.glob(os.path.join(d, "log*")):
        with open(log) as fh:
            for line in fh:
                lat.append(int(line.split()[2]) / 1000.0)
    shutil.rmtree(d)
    return lat

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]

class Case:
    def __init__(self, name, ref, variants, clients=1, transactions=20, connect=False, note=""):
        self.name, self.ref, self.variants = name, ref, variants
        self.clients, self.transactions, self.connect, self.note = clients, transactions, connect, note

def run_case(case, rounds, tmp):
    lat = {v: [] for v in case.variants}
    for _ in range(rounds):
        for v, script in case.variants.items():
            lat[v] += pgbench(script, case.clients, case.transactions, case.connect, tmp)
    rows = []
    ref = statistics.median(lat[case.ref])
    for v in case.variants:
        m = statistics.median(lat[v])
        rows.append(dict(case=case.name, variant=v, clients=case.clients, n=len(lat[v]),
                         median_ms=round(m, 4), p10_ms=round(pct(lat[v], 10), 4),
                         p90_ms=round(pct(lat[v], 90), 4),
                         ratio=round(m / ref, 3) if ref > 0 else None, reference=case.ref))
    return rows

def bg(sql, cols, queue=65536):
    return ("SELECT count(*) FROM pg_background_result(pg_background_launch($q$%s$q$, %d)) AS (%s);"
            % (sql, queue, cols))

# The plain reference: the query itself, every column evaluated (the row
# test reads each), nothing else built; "direct, composite" also builds a
# row value per row (count(s)), which makes it slower than the query.
DIRECT = "SELECT count(*) FROM (%s) s WHERE s IS NOT NULL;"
NARROW = "SELECT g, g::text, now() FROM generate_series(1, %d) g"
NARROW_COLS = "a int, b text, c timestamptz"
def many(n):
    """A string of n statements, as the issue measured it."""
    return "SELECT 1; " * n

def many_counted(n):
    """A string of n + 1 statements whose last result is n only if every
    nextval() ran (the check before timing)."""
    return "SELECT setval('bench_many', 1, false); " + "SELECT nextval('bench_many'); " * n

WIDE = ("SELECT g::int8, g::int8 + 1, g::int8 + 2, g::int8 + 3, g::float8, g / 2.0::float8, g / 3.0::float8, "
        "g / 7.0::float8, g::numeric, g / 3.0, g * 1.5, g / 7.0, g::text, md5(g::text), 'label ' || g, "
        "repeat('x', 20), jsonb_build_object('g', g), jsonb_build_array(g, g), '{\"a\": [1, 2]}'::jsonb, now() "
        "FROM generate_series(1, %d) g")
WIDE_COLS = ("c1 int8, c2 int8, c3 int8, c4 int8, c5 float8, c6 float8, c7 float8, c8 float8, "
             "c9 numeric, c10 numeric, c11 numeric, c12 numeric, c13 text, c14 text, c15 text, c16 text, "
             "c17 jsonb, c18 jsonb, c19 jsonb, c20 timestamptz")

MANY_SIZES = {True: [1000], False: [10000, 100000, 1000000, 2000000]}

def cases(quick):
    dbl = "dbname=%s user=%s" % (os.environ.get("PGDATABASE", "postgres"), os.environ.get("PGUSER", "postgres"))
    dbl_host = "host=%s port=%s %s" % (os.environ.get("PGHOST", "/tmp"), os.environ.get("PGPORT", "5432"), dbl)
    out = []
    one = bg("SELECT 1", "x int")
    for c in ([1] if quick else [1, 2, 8]):
        out.append(Case("a. launch->result SELECT 1", "dblink new connection", {
            "direct SELECT 1": "SELECT 1;",
            "dblink new connection": "SELECT * FROM dblink('%s', 'SELECT 1') AS t(x int);" % dbl_host,
            "pg_background": one}, clients=c, transactions=5 if quick else 100))
    out.append(Case("a. first call in a fresh backend (pgbench -C)", "dblink new connection", {
        "dblink new connection": "SELECT * FROM dblink('%s', 'SELECT 1') AS t(x int);" % dbl_host,
        "pg_background": one}, connect=True, transactions=5 if quick else 100))
    sizes = [1000] if quick else [10000, 100000, 1000000]
    for n in sizes:
        qs = [65536] if quick else [65536, 1 << 20, 16 << 20]
        v = {"direct": DIRECT % (NARROW % n),
             "direct, composite": "SELECT count(s) FROM (%s OFFSET 0) s;" % (NARROW % n),
             "client": "%s;" % (NARROW % n)}
        for q in qs:
            v["pg_background q=%dk" % (q // 1024)] = bg(NARROW % n, NARROW_COLS, q)
        out.append(Case("b. narrow rows N=%d" % n, "direct", v, transactions=2 if quick else max(3, 3000000 // n // 10)))
    nw = 200 if quick else 100000
    v = {"direct": DIRECT % (WIDE % nw),
         "direct, composite": "SELECT count(s) FROM (%s OFFSET 0) s;" % (WIDE % nw),
         "client": "%s;" % (WIDE % nw)}
    for q in ([65536] if quick else [65536, 1 << 20, 16 << 20]):
        v["pg_background q=%dk" % (q // 1024)] = bg(WIDE % nw, WIDE_COLS, q)
    out.append(Case("b. wide rows (20 columns) N=%d" % nw, "direct", v, transactions=2 if quick else 5))
    # g. a string of n statements; the result is the last one's (PQexec)
    for n in MANY_SIZES[quick]:
        out.append(Case("g. a string of N=%d statements" % n, "dblink, same string", {
            "dblink, same string": "SELECT * FROM dblink('%s', $q$%s$q$) AS t(x int);" % (dbl_host, many(n)),
            "pg_background": bg(many(n), "x int"),
        }, transactions=2 if quick else max(2, 200000 // n)))
    out.append(Case("c2. autonomous INSERT on a reused worker", "dblink_exec persistent", {
        "dblink_exec persistent": "SELECT dblink_exec('bench_conn', $$INSERT INTO bench_audit VALUES ('dblink_conn')$$);",
        "pg_background launch+result": bg("INSERT INTO bench_audit VALUES ('bg_result')", "t text"),
    }, transactions=5 if quick else 200))
    out.append(Case("c. autonomous INSERT", "dblink_exec new connection", {
        "plain INSERT": "INSERT INTO bench_audit VALUES ('plain');",
        "dblink_exec new connection": "SELECT dblink_exec('%s', $$INSERT INTO bench_audit VALUES ('dblink')$$);" % dbl_host,
        "dblink_exec persistent": "SELECT dblink_exec('bench_conn', $$INSERT INTO bench_audit VALUES ('dblink_conn')$$);",
        "pg_background launch+result": bg("INSERT INTO bench_audit VALUES ('bg_result')", "t text"),
        "pg_background launch+detach": "SELECT pg_background_detach(pg_background_launch($$INSERT INTO bench_audit VALUES ('bg_detach')$$));",
    }, transactions=5 if quick else 100))
    out.append(Case("d. error relay", "succeeding block", {
        "succeeding block": "DO $$ BEGIN PERFORM * FROM pg_background_result(pg_background_launch('SELECT 1/1')) AS (x int); EXCEPTION WHEN division_by_zero THEN NULL; END $$;",
        "1/0 caught by condition name": "DO $$ BEGIN PERFORM * FROM pg_background_result(pg_background_launch('SELECT 1/0')) AS (x int); EXCEPTION WHEN division_by_zero THEN NULL; END $$;",
    }, transactions=5 if quick else 100))
    v = {}
    for q in ([65536, 1 << 20] if quick else [65536, 1 << 20, 16 << 20, 64 << 20]):
        v["queue %d kB" % (q // 1024)] = bg("SELECT 1", "x int", q)
    out.append(Case("e. fixed cost of queue_size (N=1)", "queue 64 kB", v, transactions=5 if quick else 100))
    return out, dbl_host

def setup(dbl_host):
    psql("CREATE EXTENSION IF NOT EXISTS pg_background; CREATE EXTENSION IF NOT EXISTS dblink;")
    psql("DROP TABLE IF EXISTS bench_audit; CREATE TABLE bench_audit (src text);")
    psql("DROP SEQUENCE IF EXISTS bench_many; CREATE SEQUENCE bench_many;")
    # a persistent dblink connection lives per session: pgbench keeps its
    # sessions across transactions, so open it on first use
    psql("""CREATE OR REPLACE FUNCTION bench_conn_open() RETURNS void LANGUAGE plpgsql AS $f$
      BEGIN IF NOT 'bench_conn' = ANY(coalesce(dblink_get_connections(), '{}')) THEN
        PERFORM dblink_connect('bench_conn', '%s'); END IF; END $f$;""" % dbl_host)

def check_results(quick):
    """Results, not speed: every variant must return what it should."""
    # count(*) = N for every size timed below, before any timing
    for n in ([1000] if quick else [10000, 100000, 1000000]):
        got = psql(bg(NARROW % n, NARROW_COLS).rstrip(";"))
        assert got == str(n), "narrow count %s != %d" % (got, n)
    nw = 200 if quick else 100000
    got = psql(bg(WIDE % nw, WIDE_COLS).rstrip(";"))
    assert got == str(nw), "wide count %s != %d" % (got, nw)
    same = psql("SELECT count(*) FROM ((%s) EXCEPT (SELECT * FROM pg_background_result(pg_background_launch($q$%s$q$)) AS (%s))) d"
                % (WIDE % 200, WIDE % 200, WIDE_COLS))
    # now() differs between the two transactions; compare without it
    same = psql("SELECT count(*) FROM ((SELECT c1, c5, c9, c13, c17 FROM (%s) w(%s)) EXCEPT "
                "(SELECT c1, c5, c9, c13, c17 FROM pg_background_result(pg_background_launch($q$%s$q$)) AS (%s))) d"
                % (WIDE % 200, ", ".join(c.split()[0] for c in WIDE_COLS.split(", ")), WIDE % 200, WIDE_COLS))
    assert same == "0", "wide rows differ"
    # g: every statement of a string runs, the last one's result comes back
    for n in MANY_SIZES[quick]:
        got = psql(bg(many_counted(n), "x int8").rstrip(";"))
        assert got == "1", "many statements: %s rows" % got
        got = psql("SELECT x FROM pg_background_result(pg_background_launch($q$%s$q$)) AS (x int8)" % many_counted(n))
        assert got == str(n), "many statements: last value %s != %d" % (got, n)

def memory_case(rows):
    """f. launcher memory: peak RSS while reading many rows; RSS before and after Go loads."""
    status = "SELECT regexp_replace(pg_read_file('/proc/' || pg_backend_pid() || '/status'), '.*%s:\\s+(\\d+) kB.*', '\\1', 's')::int"
    script = ("\\set QUIET on\nSELECT (%s) AS rss0, (%s) AS anon0 \\gset\n" % (status % "VmRSS", status % "RssAnon")
              + bg("SELECT 1", "x int").rstrip(";") + " \\gset\nSELECT (%s) AS rss1, (%s) AS anon1, (%s) AS hwm0 \\gset\n" % (status % "VmRSS", status % "RssAnon", status % "VmHWM")
              + "SELECT count(*) FROM pg_background_result(pg_background_launch('SELECT g, g::text, now() FROM generate_series(1, %d) g')) AS (a int, b text, c timestamptz) \\gset\n" % rows
              + "SELECT :rss0, :rss1, :anon0, :anon1, :hwm0, (%s), current_setting('work_mem');\n" % (status % "VmHWM"))
    r = subprocess.run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1"], input=script, capture_output=True, text=True, check=True)
    rss0, rss1, anon0, anon1, hwm0, hwm1, wm = r.stdout.strip().split("|")
    return [dict(case="f. launcher memory", variant="RSS before Go (kB)", median_ms=rss0),
            dict(case="f. launcher memory", variant="RSS after first result, Go loaded (kB)", median_ms=rss1),
            dict(case="f. launcher memory", variant="Go load cost, RSS (kB; the library text is shared)", median_ms=int(rss1) - int(rss0)),
            dict(case="f. launcher memory", variant="Go load cost, private RssAnon (kB)", median_ms=int(anon1) - int(anon0)),
            dict(case="f. launcher memory", variant="peak RSS before the big read (kB)", median_ms=hwm0),
            dict(case="f. launcher memory", variant="peak RSS reading %d rows (kB), work_mem %s" % (rows, wm), median_ms=hwm1)]

def first_call_case(n):
    """a. the one-time cost of Go in a fresh backend: first against second
    call, both starting a new worker (pooling off), in n fresh backends.
    The first worker has exited before the second call starts, so both start
    their worker on an otherwise idle server.  The backend reports how long
    the load itself took (DEBUG1), most of it while the first worker starts."""
    one = bg("SELECT 1", "x int").rstrip(";")
    script = ("\\set QUIET on\nSET pg_background.worker_idle_timeout = 0;\n"
              "SET client_min_messages = debug1;\n"
              "SELECT clock_timestamp() AS t0 \\gset\n%s \\gset\n"
              "SELECT clock_timestamp() AS t1 \\gset\n"
              "SET client_min_messages = notice;\nSELECT pg_sleep(0.2);\n"
              "SELECT clock_timestamp() AS t2 \\gset\n%s \\gset\n"
              "SELECT clock_timestamp() AS t3 \\gset\n"
              "SELECT extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz) * 1000, "
              "extract(epoch FROM :'t3'::timestamptz - :'t2'::timestamptz) * 1000;\n") % (one, one)
    first, second, load = [], [], []
    for _ in range(n):
        r = subprocess.run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1"], input=script,
                           capture_output=True, text=True, check=True)
        a, b = r.stdout.strip().splitlines()[-1].split("|")
        first.append(float(a))
        second.append(float(b))
        m = re.search(r"loaded the Go library in ([0-9.]+) ms", r.stderr)
        assert m, "the first call did not report loading Go: %r" % r.stderr
        load.append(float(m.group(1)))
    extra = [a - b for a, b in zip(first, second)]
    name = "a. first call in a fresh backend (Go loads while the worker starts)"
    return [dict(case=name, variant="first call (ms)", median_ms=round(statistics.median(first), 3)),
            dict(case=name, variant="second call, Go loaded (ms)", median_ms=round(statistics.median(second), 3)),
            dict(case=name, variant="first minus second, median of %d backends (ms)" % n,
                 median_ms=round(statistics.median(extra), 3)),
            dict(case=name, variant="Go load inside the first call, as the backend measured it (ms)",
                 median_ms=round(statistics.median(load), 3))]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--csv", default="bench/results/latest.csv")
    a = ap.parse_args()
    rounds = a.rounds or (1 if a.quick else 5)
    cs, dbl_host = cases(a.quick)
    setup(dbl_host)
    check_results(a.quick)
    tmp = tempfile.mkdtemp()
    allrows = []
    for c in cs:
        if "reused" in c.name:
            # both variants pay the same extra statement, opening the
            # session's dblink connection on first use
            c.variants = {k: "SELECT bench_conn_open();\n" + s for k, s in c.variants.items()}
        elif "persistent" in "".join(c.variants):
            c.variants = {k: ("SELECT bench_conn_open();\n" + s if "persistent" in k else s) for k, s in c.variants.items()}
        rows = run_case(c, rounds, tmp)
        allrows += rows
        print("\n### %s (clients=%d%s)\n" % (c.name, c.clients, ", -C" if c.connect else ""))
        print("| variant | median ms | p10 | p90 | ratio to %s |" % c.ref)
        print("|---|---|---|---|---|")
        for r in rows:
            ratio = "%.2f" % r["ratio"] if r["ratio"] is not None else "-"
            print("| %s | %.3f | %.3f | %.3f | %s |" % (r["variant"], r["median_ms"], r["p10_ms"], r["p90_ms"], ratio))
    # c: every variant's rows must exist
    counts = psql("SELECT string_agg(src || '=' || n, ' ') FROM (SELECT src, count(*) n FROM bench_audit GROUP BY src ORDER BY src) s")
    print("\nc. rows written per variant (detach included, all must be > 0): %s" % counts)
    psql("SELECT pg_sleep(0.5)")
    for src in ("plain", "dblink", "dblink_conn", "bg_result", "bg_detach"):
        n = int(psql("SELECT count(*) FROM bench_audit WHERE src = '%s'" % src))
        assert n > 0, "variant %s wrote no rows" % src
    fc = first_call_case(3 if a.quick else 30)
    print("\n### %s\n\n| measure | value |\n|---|---|" % fc[0]["case"])
    for r in fc:
        print("| %s | %s |" % (r["variant"], r["median_ms"]))
    allrows += fc
    mem = memory_case(10000 if a.quick else 10000000)
    print("\n### f. launcher memory\n\n| measure | value |\n|---|---|")
    for r in mem:
        print("| %s | %s |" % (r["variant"], r["median_ms"]))
    allrows += mem
    os.makedirs(os.path.dirname(a.csv), exist_ok=True)
    with open(a.csv, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["case", "variant", "clients", "n", "median_ms", "p10_ms", "p90_ms", "ratio", "reference"])
        w.writeheader()
        for r in allrows:
            w.writerow(r)
    shutil.rmtree(tmp)
    print("\nall figures: %s" % a.csv)
    svg = os.path.splitext(a.csv)[0] + ".svg"
    assert chart.write_svg(a.csv, svg) > 0, "nothing to chart"
    print("chart (ratio to each case's reference, log scale): %s" % svg)

if __name__ == "__main__":
    main()
