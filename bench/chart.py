"""An SVG chart of a bench run: per case, each variant's median as a bar on
a log scale of its ratio to the case's reference (1.0 = the reference),
labelled with the median and p10-p90 in ms.  No dependencies.
    python3 bench/chart.py bench/results/latest.csv bench/results/latest.svg
"""
import csv, html, math, sys

LO, HI = 0.001, 10.0          # ratio axis (log)
LEFT, BAR_W, ROW, HEAD = 300, 420, 18, 26

def x_of(ratio):
    r = min(max(ratio, LO), HI)
    return LEFT + BAR_W * (math.log10(r) - math.log10(LO)) / (math.log10(HI) - math.log10(LO))

def write_svg(csv_path, svg_path):
    cases = {}
    with open(csv_path, newline="") as fh:
        for r in csv.DictReader(fh):
            if r["ratio"]:
                cases.setdefault((r["case"], r["clients"]), []).append(r)
    out, y = [], 30
    for (case, clients), rows in cases.items():
        out.append('<text x="10" y="%d" font-weight="bold">%s (clients=%s; 1.0 = %s)</text>'
                   % (y + 14, html.escape(case), clients, html.escape(rows[0]["reference"])))
        y += HEAD
        for r in rows:
            ratio = float(r["ratio"])
            out.append('<text x="10" y="%d">%s</text>' % (y + 13, html.escape(r["variant"])))
            out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
                       % (LEFT, y + 2, max(x_of(ratio) - LEFT, 1), ROW - 4,
                          "#4a7ab5" if "pg_background" in r["variant"] else "#aaaaaa"))
            out.append('<text x="%d" y="%d">%.2fx  %.3f ms (p10 %.3f, p90 %.3f)</text>'
                       % (LEFT + BAR_W + 8, y + 13, ratio, float(r["median_ms"]),
                          float(r["p10_ms"]), float(r["p90_ms"])))
            y += ROW
        y += 8
    axis = ['<line x1="%.1f" y1="20" x2="%.1f" y2="%d" stroke="#c33" stroke-dasharray="4"/>'
            % (x_of(1.0), x_of(1.0), y)]
    for t in (0.001, 0.01, 0.1, 1, 10):
        axis.append('<text x="%.1f" y="14" text-anchor="middle">%gx</text>' % (x_of(t), t))
    with open(svg_path, "w") as fh:
        fh.write('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
                 'font-family="sans-serif" font-size="12">\n<rect width="100%%" height="100%%" fill="white"/>\n'
                 % (LEFT + BAR_W + 330, y + 10))
        fh.write("\n".join(axis + out))
        fh.write("\n</svg>\n")
    return len(cases)

if __name__ == "__main__":
    print("%d cases charted" % write_svg(sys.argv[1], sys.argv[2]))
