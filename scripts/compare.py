#!/usr/bin/python3
"""Closed form against SimGrid, per paradigm, for n = 2 .. 1024 on a flat topology, and at small n
against a real measurement on this machine (mpirun ... commsim table).

Writes OUT/compare.json (every row), OUT/compare.md (the tables), OUT/compare.png (flat sweep)
and OUT/compare-local.png (the measurement).
Needs a commsim built with SimGrid, and Debian's python3-matplotlib for the plot.

  /usr/bin/python3 scripts/compare.py                 # build/commsim, out: build/compare
  /usr/bin/python3 scripts/compare.py --max-n 64      # a quick look
  /usr/bin/python3 scripts/compare.py --paradigm all  # every algorithm of `commsim list`
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_json(argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"compare: {' '.join(argv)} exited {r.returncode}:\n{r.stderr.strip()}")
    return json.loads(r.stdout)


def human_bytes(b):
    for unit, f in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if b >= f and b % f == 0:
            return f"{b // f} {unit}"
    for unit, f in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if b >= f:
            return f"{b / f:g} {unit}"
    return f"{b} B"


def algorithms(commsim, chosen):
    """The algorithms to compare, from `commsim list`: the table's rows, every one for "all", or
    the names given; and the dedicated ranks the most demanding of them needs beside n workers."""
    rows = [r for r in run_json([commsim, "list", "--format", "json"])["rows"]
            if r["kind"] == "algorithm"]
    if chosen == "table":
        names = [r["name"] for r in rows if r["table_row"]]
    elif chosen == "all":
        names = [r["name"] for r in rows]
    else:
        names = chosen.split(",")
    extra = max((r["dedicated_ranks"] for r in rows if r["name"] in names), default=0)
    return names, extra


def sweep(commsim, topology, workers, params, network, paradigms):
    doc = run_json([commsim, "simulate", "--topology", topology, "-n", ",".join(map(str, workers)),
                    "-p", ",".join(map(str, params)), "--network", network, "--paradigm",
                    ",".join(paradigms), "--format", "json"])
    return doc["rows"]


def measure_local(commsim, workers, p, repeats, paradigms, extra):
    """Real runs: mpirun -np n+extra commsim table (n workers + the server rank, when a parameter
    server is compared); the fastest of `repeats` runs per paradigm, as single steps are noisy on
    a shared machine."""
    mpirun = ["mpirun", "--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    best = {}
    for n in workers:
        for _ in range(repeats):
            doc = run_json(mpirun + ["-np", str(n + extra), commsim, "table", "--params", str(p),
                                     "--paradigm", ",".join(paradigms), "--format", "json"])
            for row in doc["rows"]:
                key = (row["paradigm"], n)
                best[key] = min(best.get(key, float("inf")), row["time_s"])
    return best


def markdown(rows, local_rows):
    out = ["| n | p·s | paradigm | closed form (µs) | SimGrid (µs) | difference | messages | total bytes |",
           "|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['workers']} | {human_bytes(r['size_bytes'])} | {r['paradigm']} | "
                   f"{r['model_time_s'] * 1e6:,.1f} | {r['time_s'] * 1e6:,.1f} | "
                   f"{r['model_difference'] * 100:+.1f}% | {r['messages']:,} | {r['total_bytes']:,} |")
    if local_rows:
        out += ["", "| n | p·s | paradigm | measured, mpirun (µs) | SimGrid on local.yaml (µs) | closed form (µs) |",
                "|---:|---:|---|---:|---:|---:|"]
        for r in local_rows:
            out.append(f"| {r['workers']} | {human_bytes(r['size_bytes'])} | {r['paradigm']} | "
                       f"{r['measured_s'] * 1e6:,.1f} | {r['time_s'] * 1e6:,.1f} | "
                       f"{r['model_time_s'] * 1e6:,.1f} |")
    return "\n".join(out) + "\n"


def plot(rows, path, title, paradigms):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({r["size_bytes"] for r in rows}, reverse=True)
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    fig, axes = plt.subplots(2, len(paradigms), figsize=(5 * len(paradigms), 8.5), sharex=True,
                             gridspec_kw={"height_ratios": [3, 1.3]}, squeeze=False)
    for col, paradigm in enumerate(paradigms):
        top, bottom = axes[0][col], axes[1][col]
        for colour, size in zip(colours, sizes):
            sel = sorted((r for r in rows if r["paradigm"] == paradigm and r["size_bytes"] == size),
                         key=lambda r: r["workers"])
            n = [r["workers"] for r in sel]
            top.plot(n, [r["model_time_s"] for r in sel], "-", color=colour, lw=1.6,
                     label=f"closed form, p·s = {human_bytes(size)}")
            top.plot(n, [r["time_s"] for r in sel], "o", color=colour, mfc="none", ms=7,
                     label=f"SimGrid, p·s = {human_bytes(size)}")
            bottom.plot(n, [r["model_difference"] * 100 for r in sel], "o-", color=colour, ms=4)
        top.set_title(paradigm)
        top.set_xscale("log", base=2)
        top.set_yscale("log")
        top.grid(True, which="both", alpha=0.3)
        bottom.axhline(0, color="grey", lw=0.8)
        bottom.axhspan(-10, 10, color="tab:green", alpha=0.08)
        bottom.set_xlabel("workers n")
        bottom.grid(True, alpha=0.3)
        if col == 0:
            top.set_ylabel("time of one step (s)")
            bottom.set_ylabel("SimGrid vs closed form (%)")
    axes[0][0].legend(fontsize=8, loc="upper left")
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_local(local_rows, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['paradigm']}\nn = {r['workers']}" for r in local_rows]
    x = range(len(local_rows))
    fig, ax = plt.subplots(figsize=(11, 4.8))
    w = 0.27
    series = [("measured here (mpirun, fastest of the repeats)", "measured_s", "black"),
              ("SimGrid on local.yaml", "time_s", "tab:blue"),
              ("closed form on local.yaml", "model_time_s", "tab:orange")]
    for k, (label, key, colour) in enumerate(series):
        ax.bar([i + (k - 1) * w for i in x], [r[key] * 1e3 for r in local_rows], w, label=label,
               color=colour)
    ax.set_xticks(list(x))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel("time of one step (ms)")
    ax.set_yscale("log")
    ax.grid(True, axis="y", which="both", alpha=0.3)
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="build directory with commsim")
    ap.add_argument("--out", default=None, help="output directory (default: BUILD/compare)")
    ap.add_argument("--topology", default=os.path.join(ROOT, "topologies", "flat-1024.yaml"))
    ap.add_argument("--params", default="25000000,1024",
                    help="gradient elements p, comma-separated (default: 100 MB and 4 KB of float32)")
    ap.add_argument("--max-n", type=int, default=1024)
    ap.add_argument("--network", default="ideal", help="ideal or smpi (commsim simulate --network)")
    ap.add_argument("--local-workers", default="2,4", help="n for the real measurement ('' to skip)")
    ap.add_argument("--local-params", type=int, default=1048576)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--paradigm", default="table",
                    help="table (the table's three rows, default), all, or names from `commsim list`")
    a = ap.parse_args()

    commsim = os.path.join(a.build, "commsim")
    out = a.out or os.path.join(a.build, "compare")
    os.makedirs(out, exist_ok=True)
    workers = [n for n in (2 ** k for k in range(1, 11)) if n <= a.max_n]
    params = [int(p) for p in a.params.split(",")]

    paradigms, extra = algorithms(commsim, a.paradigm)
    rows = sweep(commsim, a.topology, workers, params, a.network, paradigms)
    local_rows = []
    local_n = [int(n) for n in a.local_workers.split(",") if n]
    if local_n:
        measured = measure_local(commsim, local_n, a.local_params, a.repeats, paradigms, extra)
        local = sweep(commsim, os.path.join(ROOT, "topologies", "local.yaml"), local_n,
                      [a.local_params], a.network, paradigms)
        for r in local:
            r["measured_s"] = measured[(r["paradigm"], r["workers"])]
            local_rows.append(r)

    with open(os.path.join(out, "compare.json"), "w") as f:
        json.dump({"flat": rows, "local": local_rows}, f, indent=2)
    table = markdown(rows, local_rows)
    with open(os.path.join(out, "compare.md"), "w") as f:
        f.write(table)
    topo = os.path.basename(a.topology)
    plot(rows, os.path.join(out, "compare.png"),
         f"One synchronisation step on {topo} ({a.network} links): closed form (lines) and "
         f"SimGrid SMPI (circles) running the paradigm code", paradigms)
    pngs = "compare.png"
    if local_rows:
        plot_local(local_rows, os.path.join(out, "compare-local.png"),
                   f"This machine, p·s = {human_bytes(4 * a.local_params)}: measured against "
                   f"SimGrid and the closed form with local.yaml's estimated figures")
        pngs += ", compare-local.png"
    print(table, end="")
    print(f"compare: wrote compare.json, compare.md, {pngs} in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
