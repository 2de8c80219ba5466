#!/usr/bin/python3
"""Charts from `commsim bench --json` and `commsim predict --json` files (PNG, with matplotlib).

  plot.py busbw RUN.json [-o busbw.png]            busbw against size, one line per paradigm
  plot.py time RUN1.json RUN2.json ... [-o time.png] [--size BYTES]
                                                   time against n, from runs with different n
  plot.py crossover PREDICT.json ... [-o map.png]  the fastest algorithm for each n and size, from
                                                   predict documents (docs/algorithms.md)
  plot.py validate VALIDATE.json [-o v.png]        predicted and simulated against measured, and
                                                   each error by size (docs/validation.md)
  plot.py buckets SWEEP.json [-o buckets.png]      step time against bucket cap, one line per
                                                   algorithm, from `predict --workload
                                                   --bucket-sweep` (docs/train.md)
  plot.py timeline STEP.json [-o timeline.png]     one training step: compute and each bucket's
                                                   synchronisation, from `train` or `predict
                                                   --workload`

Both take --step avg (default: the average timed step, as the bench reports) or --step min (each
row's fastest step, which load from other programs on the machine disturbs least).

Colours follow `commsim list` (--commsim BINARY, default $COMMSIM_BIN or build/commsim).
Run it with Debian's /usr/bin/python3 (package python3-matplotlib; `scripts/bootstrap.sh --extra
plots`). Exit status 2 with one line on stderr for a file that is missing or not a bench document.
"""
import argparse
import json
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullLocator  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLOURS = ["tab:red", "tab:purple", "tab:blue", "tab:green", "tab:orange", "tab:brown", "tab:pink",
           "tab:olive", "tab:cyan", "tab:gray"]
MARKERS = ["s", "^", "o", "D", "v", "P", "X", "<", ">", "h"]


COMMSIM = os.environ.get("COMMSIM_BIN", os.path.join(ROOT, "build", "commsim"))


def registry():
    """The names of `commsim list`, algorithms then baselines, in the registry's order."""
    binary = COMMSIM
    try:
        out = subprocess.run([binary, "list", "--format", "json"], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        fail(f"cannot ask `{binary} list` for the algorithms ({e}); build commsim or set COMMSIM_BIN")
    return [row["name"] for row in json.loads(out)["rows"]]


def styles():
    """One colour and marker per name, the same in every chart: by the registry's order, the
    library baselines in black."""
    out = {}
    for i, name in enumerate(registry()):
        if name.endswith("-allreduce") and name.split("-")[0] in ("mpi", "nccl"):
            out[name] = ("black", "x" if name.startswith("mpi") else "+")
        else:
            out[name] = (COLOURS[i % len(COLOURS)], MARKERS[i % len(MARKERS)])
    return out


STEP = {"avg": "average step", "min": "fastest step"}


def fail(message):
    """One line on stderr, named after the script that runs (plot.py, plot_trace.py), exit 2."""
    print(f"{os.path.basename(sys.argv[0])}: {message}", file=sys.stderr)
    sys.exit(2)


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        fail(f"{path}: cannot read: {e.strerror}")
    except json.JSONDecodeError as e:
        fail(f"{path}: not JSON: {e}")


def load(path, command="bench", key="rows", what=None):
    doc = read_json(path)
    commands = command if isinstance(command, tuple) else (command,)
    if not isinstance(doc, dict) or doc.get("command") not in commands \
            or not isinstance(doc.get(key), list):
        fail(f"{path}: not a {what or f'`commsim {command}`'} JSON document (written by --json FILE)")
    return doc


def label(row):
    return row["paradigm"] + (f" ({row['variant']})" if row.get("variant") else "")


def human_bytes(value, _pos=None):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:g} {unit}"
        value /= 1024
    return f"{value:g} TiB"


def describe(doc):
    servers = doc.get("servers", 0)
    text = f"n = {doc['workers']} workers"
    if servers:
        text += f" + {servers} server rank{'s' if servers > 1 else ''}"
    return f"{text}, {doc['transport']} transport, {doc['dtype']}"


def plot_busbw(args):
    doc = load(args.files[0])
    for extra in args.files[1:]:
        fail(f"{extra}: busbw takes one file (plot several n with `time`)")
    series = {}
    for row in doc["rows"]:
        if row["size_bytes"] > 0 and row["busbw_GBps"] > 0 and row["time_min_s"] > 0:
            busbw = row["busbw_GBps"]
            if args.step == "min":  # busbw is inversely proportional to the step's time
                busbw *= row["time_avg_s"] / row["time_min_s"]
            series.setdefault(label(row), []).append((row["size_bytes"], busbw))
    if not series:
        fail(f"{args.files[0]}: no row with a positive size and bandwidth to plot")
    fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
    style = styles()
    for name, points in series.items():
        colour, marker = style.get(name.split(" (")[0], (None, "."))
        xs, ys = zip(*sorted(points))
        dashed = name.startswith("mpi-")
        ax.plot(xs, ys, marker=marker, color=colour, linestyle="--" if dashed else "-",
                label=name + (" (baseline)" if dashed else ""))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    # Powers of two across the data, at most about 14 of them labelled.
    lo = min(x for v in series.values() for x, _ in v)
    hi = max(x for v in series.values() for x, _ in v)
    ticks = [2 ** e for e in range(lo.bit_length() - 1, hi.bit_length())]
    step = max(1, -(-len(ticks) // 14))
    ax.set_xticks(ticks[::step])
    ax.xaxis.set_major_formatter(FuncFormatter(human_bytes))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(lo / 1.4, hi * 1.4)
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlabel("gradient size p·s (bytes, log scale)")
    ax.set_ylabel(f"bus bandwidth, {STEP[args.step]} (GB/s = 10⁹ B/s, log scale)")
    ax.set_title(f"commsim bench: busbw against gradient size\n{describe(doc)}")
    ax.grid(True, which="major", alpha=0.35)
    ax.grid(True, which="minor", axis="y", alpha=0.12)
    ax.legend(title="paradigm", loc="best")
    fig.savefig(args.output, dpi=120)
    print(args.output)


def plot_time(args):
    docs = [(path, load(path)) for path in args.files]
    sizes = [{r["size_bytes"] for r in d["rows"]} for _, d in docs]
    common = set.intersection(*sizes)
    if args.size is not None:
        size = args.size
        for (path, _), have in zip(docs, sizes):
            if size not in have:
                fail(f"{path}: no row of size {size} bytes (it has {min(have)}..{max(have)})")
    elif common:
        size = max(common)
    else:
        fail("the files share no size; give --size BYTES present in all of them")
    series = {}
    for _, d in docs:
        for row in d["rows"]:
            if row["size_bytes"] == size:
                point = row["time_min_s"] if args.step == "min" else row["time_avg_s"]
                series.setdefault(label(row), []).append(
                    (d["workers"], point, row["time_min_s"], row["time_max_s"]))
    fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
    style = styles()
    for name, points in series.items():
        colour, marker = style.get(name.split(" (")[0], (None, "."))
        points.sort()
        ns = [p[0] for p in points]
        avg = [p[1] * 1e3 for p in points]
        low = [(p[1] - p[2]) * 1e3 for p in points]
        high = [(p[3] - p[1]) * 1e3 for p in points]
        dashed = name.startswith("mpi-")
        ax.errorbar(ns, avg, yerr=[low, high], marker=marker, color=colour, capsize=4,
                    linestyle="--" if dashed else "-",
                    label=name + (" (baseline)" if dashed else ""))
    all_n = sorted({d["workers"] for _, d in docs})
    ax.set_xticks(all_n)
    ax.set_xlabel("workers n")
    ax.set_ylabel(f"time of one step, {STEP[args.step]} (ms; bars: fastest to slowest)")
    ax.set_ylim(bottom=0)
    transports = sorted({d["transport"] for _, d in docs})
    dtypes = sorted({d["dtype"] for _, d in docs})
    ax.set_title(f"commsim bench: step time against n at p·s = {human_bytes(size)}\n"
                 f"{', '.join(transports)} transport, {', '.join(dtypes)}, {len(docs)} runs")
    ax.grid(True, alpha=0.35)
    ax.legend(title="paradigm", loc="best")
    fig.savefig(args.output, dpi=120)
    print(args.output)


def plot_crossover(args):
    """For every (n, size) the predictions cover, the algorithm with the shortest predicted step,
    one panel per topology."""
    docs = [load(path, "predict") for path in args.files]
    by_topology = {}
    for d in docs:
        for row in d["rows"]:
            key = (row["workers"], row["size_bytes"])
            best = by_topology.setdefault(row["topology"], {}).get(key)
            if best is None or row["time_s"] < best["time_s"]:
                by_topology[row["topology"]][key] = row
    style = styles()
    names = [n for n in style if any(r["paradigm"] == n for t in by_topology.values() for r in t.values())]
    fig, axes = plt.subplots(1, len(by_topology), figsize=(6.5 * len(by_topology), 5.5),
                             layout="constrained", squeeze=False)
    for ax, (topology, cells) in zip(axes[0], sorted(by_topology.items())):
        ns = sorted({n for n, _ in cells})
        sizes = sorted({s for _, s in cells})
        for (n, size), row in cells.items():
            colour, _ = style[row["paradigm"]]
            ax.add_patch(plt.Rectangle((ns.index(n) - 0.5, sizes.index(size) - 0.5), 1, 1,
                                       color=colour))
        ax.set_xlim(-0.5, len(ns) - 0.5)
        ax.set_ylim(-0.5, len(sizes) - 0.5)
        ax.set_xticks(range(len(ns)), [str(n) for n in ns])
        ax.set_yticks(range(len(sizes)), [human_bytes(s) for s in sizes])
        ax.set_xlabel("workers n")
        ax.set_ylabel("gradient size p·s")
        ax.set_title(f"fastest algorithm on {topology}")
    handles = [plt.Rectangle((0, 0), 1, 1, color=style[n][0]) for n in names]
    # Beside the last panel (Debian 12's matplotlib 3.6 has no loc="outside ...").
    axes[0][-1].legend(handles, names, loc="upper left", bbox_to_anchor=(1.02, 1),
                       title="predicted fastest")
    fig.suptitle("commsim predict: which algorithm wins, by n and size")
    fig.savefig(args.output, dpi=110)
    print(args.output)


def plot_validate(args):
    """Left: predicted (filled) and simulated (hollow) step time against measured, log-log, with
    the 10% and 25% bands. Right: the predicted error by size, one line per algorithm."""
    doc = load(args.files[0], "validate")
    for extra in args.files[1:]:
        fail(f"{extra}: validate takes one file")
    style = styles()
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5), layout="constrained")
    rows = doc["rows"]
    if not rows:
        fail(f"{args.files[0]}: no rows")
    lo = min(min(r["measured_s"], r["predicted_s"]) for r in rows) * 1e6 / 1.5
    hi = max(max(r["measured_s"], r["predicted_s"]) for r in rows) * 1e6 * 1.5
    xs = [lo, hi]
    left.plot(xs, xs, color="black", linewidth=1, label="predicted = measured")
    for band, shade in ((0.10, 0.25), (0.25, 0.12)):
        left.fill_between(xs, [x * (1 - band) for x in xs], [x * (1 + band) for x in xs],
                          color="tab:green", alpha=shade, linewidth=0, label=f"within {band:.0%}")
    for name in (n for n in style if any(r["paradigm"] == n for r in rows)):
        mine = [r for r in rows if r["paradigm"] == name]
        colour, marker = style[name]
        left.scatter([r["measured_s"] * 1e6 for r in mine], [r["predicted_s"] * 1e6 for r in mine],
                     color=colour, marker=marker, label=name)
        sims = [r for r in mine if r.get("simulated_s") is not None]
        if sims:
            left.scatter([r["measured_s"] * 1e6 for r in sims], [r["simulated_s"] * 1e6 for r in sims],
                         facecolors="none", edgecolors=colour, marker=marker)
        mine.sort(key=lambda r: r["size_bytes"])
        right.plot([r["size_bytes"] for r in mine], [r["predicted_error"] * 100 for r in mine],
                   color=colour, marker=marker, label=name)
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlim(lo, hi)
    left.set_ylim(lo, hi)
    left.set_xlabel("measured step (µs)")
    left.set_ylabel("predicted (filled) and simulated (hollow) step (µs)")
    left.legend(fontsize=7, loc="upper left")
    right.axhline(0, color="black", linewidth=1)
    for band in (10, 25):
        right.axhspan(-band, band, color="tab:green", alpha=0.12, linewidth=0)
    right.set_xscale("log", base=2)
    right.xaxis.set_major_formatter(FuncFormatter(human_bytes))
    right.xaxis.set_minor_locator(NullLocator())
    right.set_xlabel("gradient size p·s")
    right.set_ylabel("predicted error (%)")
    sim = doc.get("simulated_median_abs_error")
    fig.suptitle(f"commsim validate, {describe(doc)}: predicted median |error| "
                 f"{doc['median_abs_error']:.1%}, max {doc['max_abs_error']:.1%}"
                 + (f"; simulated median {sim:.1%}" if sim is not None else ""))
    fig.savefig(args.output, dpi=110)
    print(args.output)


def plot_buckets(args):
    """Step time against the bucket cap, one line per algorithm; the cap "all" (one bucket) sits
    at the model's size."""
    doc = load(args.file, "predict", "sweep", "`commsim predict --workload --bucket-sweep`")
    model = doc["params"] * doc["element_bytes"]
    style = styles()
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    for name in [n for n in style if any(r["algorithm"] == n for r in doc["sweep"])]:
        rows = [r for r in doc["sweep"] if r["algorithm"] == name]
        caps = [model if r["bucket_bytes"] == "all" else r["bucket_bytes"] for r in rows]
        colour, marker = style[name]
        ax.plot(caps, [r["step_s"] * 1e3 for r in rows], color=colour, marker=marker, label=name)
    best = doc["recommended"]
    ax.axhline(doc["sweep"][0]["compute_s"] * 1e3, color="grey", linestyle=":",
               label="compute alone")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(human_bytes))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("bucket cap (rightmost: one bucket of the whole model)")
    ax.set_ylabel("predicted step time (ms)")
    ax.set_title(f"{doc['workload']} on {doc['topology']['name']}, n = {doc['workers']}: "
                 f"best {best['algorithm']} at {best['bucket_bytes']} B")
    ax.legend()
    fig.savefig(args.output, dpi=110)
    print(args.output)


def plot_timeline(args):
    """One step: forward and backward compute on one lane, each bucket's synchronisation on the
    other, from the document's start_s and end_s."""
    doc = load(args.file, ("train", "predict"), "buckets",
               "`commsim train` or `commsim predict --workload`")
    step = doc["step"]
    fig, ax = plt.subplots(figsize=(10, 3.2), layout="constrained")
    ms = 1e3
    ax.broken_barh([(0, doc["forward_s"] * ms)], (10, 8), color="tab:gray", label="forward")
    ax.broken_barh([(doc["forward_s"] * ms, (step["compute_s"] - doc["forward_s"]) * ms)], (10, 8),
                   color="tab:olive", label="backward")
    colours = ["tab:blue", "tab:orange"]
    for b in doc["buckets"]:
        ax.broken_barh([(b["start_s"] * ms, (b["end_s"] - b["start_s"]) * ms)], (0, 8),
                       color=colours[b["index"] % 2], edgecolor="white")
    ax.axvline(step["compute_s"] * ms, color="black", linestyle="--", linewidth=1)
    ax.set_yticks([4, 14], ["buckets", "compute"])
    ax.set_xlabel("time from the step's start (ms)")
    source = "measured" if doc["command"] == "train" else "predicted"
    ax.set_title(f"{doc['workload']}, {doc['algorithm']}, n = {doc['workers']}, buckets of "
                 f"{doc['bucket_bytes']} B ({source}): step {step['step_s'] * ms:.1f} ms, exposed "
                 f"{step['exposed_comm_s'] * ms:.1f} ms, overlap {step['overlap']:.2f}", fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    fig.savefig(args.output, dpi=110)
    print(args.output)


def main():
    global COMMSIM
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="chart", required=True)
    busbw = sub.add_parser("busbw", help="busbw against size, one line per paradigm")
    busbw.add_argument("files", nargs="+", metavar="RUN.json")
    busbw.add_argument("-o", "--output", default="busbw.png")
    time = sub.add_parser("time", help="step time against n, from runs with different n")
    time.add_argument("files", nargs="+", metavar="RUN.json")
    time.add_argument("-o", "--output", default="time.png")
    time.add_argument("--size", type=int, help="size in bytes (default: the largest in every file)")
    for p in (busbw, time):
        p.add_argument("--step", choices=sorted(STEP), default="avg",
                       help="which step time: avg (as reported) or min (the fastest)")
    crossover = sub.add_parser("crossover", help="the fastest algorithm by n and size (predict)")
    crossover.add_argument("files", nargs="+", metavar="PREDICT.json")
    crossover.add_argument("-o", "--output", default="crossover.png")
    validate = sub.add_parser("validate", help="predicted and simulated against measured")
    validate.add_argument("files", nargs="+", metavar="VALIDATE.json")
    validate.add_argument("-o", "--output", default="validate.png")
    buckets = sub.add_parser("buckets", help="step time against bucket cap (predict --bucket-sweep)")
    buckets.add_argument("file", metavar="SWEEP.json")
    buckets.add_argument("-o", "--output", default="buckets.png")
    timeline = sub.add_parser("timeline", help="one training step's compute and buckets")
    timeline.add_argument("file", metavar="STEP.json")
    timeline.add_argument("-o", "--output", default="timeline.png")
    for p in (busbw, time, crossover, validate, buckets, timeline):
        p.add_argument("--commsim", default=COMMSIM,
                       help="the commsim binary whose `list` names the algorithms "
                            "(default: $COMMSIM_BIN or build/commsim)")
    args = parser.parse_args()
    COMMSIM = args.commsim
    {"busbw": plot_busbw, "time": plot_time, "crossover": plot_crossover,
     "validate": plot_validate, "buckets": plot_buckets, "timeline": plot_timeline}[args.chart](args)


if __name__ == "__main__":
    main()
