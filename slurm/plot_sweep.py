#!/usr/bin/env python3
"""Plots of a sweep.sbatch results folder: busbw against size, and step time against n.

  plot_sweep.py RESULTS_DIR

Reads RESULTS_DIR/summary.json and the bench.json files it names; writes busbw_vs_size.png and
time_vs_n.png there. Without matplotlib it writes no PNG, says why on stderr and in
RESULTS_DIR/plots.txt, and exits 0: the JSON is the result, the plots a view of it.
"""
import json
import os
import sys


def load(results):
    with open(os.path.join(results, "summary.json")) as f:
        summary = json.load(f)
    runs = []
    for run in summary["runs"]:
        path = os.path.join(results, run["bench"])
        if not os.path.exists(path):
            continue
        with open(path) as f:
            runs.append((run, json.load(f)))
    return runs


def save(fig, ax, xlabel, ylabel, title, path):
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    if len(sys.argv) != 2:
        print("usage: plot_sweep.py RESULTS_DIR", file=sys.stderr)
        return 2
    results = sys.argv[1]
    runs = load(results)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        note = f"no plots: matplotlib is not available to {sys.executable} ({e})"
        print(note, file=sys.stderr)
        with open(os.path.join(results, "plots.txt"), "w") as f:
            f.write(note + "\n")
        return 0
    if not runs:
        print("no plots: the sweep has no bench.json", file=sys.stderr)
        with open(os.path.join(results, "plots.txt"), "w") as f:
            f.write("no plots: the sweep has no bench.json\n")
        return 0

    fig, ax = plt.subplots(figsize=(7, 4.5))
    largest = {}  # (paradigm) -> [(n, time)] at each run's largest size
    for run, doc in runs:
        rows = doc.get("rows", [])
        for paradigm in sorted({r["paradigm"] for r in rows}):
            mine = sorted((r for r in rows if r["paradigm"] == paradigm),
                          key=lambda r: r["size_bytes"])
            ax.plot([r["size_bytes"] for r in mine], [r["busbw_GBps"] for r in mine],
                    marker="o", label=f"{paradigm}, {run['nodes']} node(s)")
            if mine:
                largest.setdefault(paradigm, []).append((doc.get("workers", run["ranks"]),
                                                         mine[-1]["time_avg_s"]))
    ax.set_xscale("log", base=2)
    save(fig, ax, "gradient size (bytes)", "busbw (GB/s)", "busbw against size",
         os.path.join(results, "busbw_vs_size.png"))

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for paradigm, points in sorted(largest.items()):
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=paradigm)
    save(fig, ax, "workers n", "step time (s) at the largest size", "time against n",
         os.path.join(results, "time_vs_n.png"))
    print(f"plots: {results}/busbw_vs_size.png, {results}/time_vs_n.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
