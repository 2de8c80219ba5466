#!/usr/bin/python3
"""A swimlane picture (PNG) of a timeline written by `commsim table|bench|simulate --trace FILE`.

  plot_trace.py TRACE.json [-o trace.png] [--algorithm NAME] [--step N] [--no-arrows]

One lane per rank, time across. Each send is a bar in the rank's upper half, coloured by its
round (the waits the rank had completed in the step when it posted it); each receive a grey bar
in the lower half; an arrow joins each send to its receive (the trace's flow events), drawn when
the picture holds at most 400 messages. --algorithm draws only the first step of that algorithm,
--step only step N (the `step` of the events' args); by default every step in the file.

Run it with Debian's /usr/bin/python3 (package python3-matplotlib; `scripts/bootstrap.sh --extra
plots`). Exit status 2 with one line on stderr for a file that is missing or not a commsim trace,
or a step or algorithm it does not hold.
"""
import argparse

from plot import fail, plt, read_json  # beside this script; plot sets matplotlib's Agg backend
from matplotlib import colormaps
from matplotlib.colors import BoundaryNorm

MAX_ARROWS = 400


def load(path):
    doc = read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        fail(f"{path}: not a Chrome trace (no traceEvents); write one with --trace FILE")
    return doc


def choose_steps(spans, algorithm, step):
    """The step numbers to draw."""
    steps = sorted({e["args"]["step"] for e in spans})
    if step is not None:
        if step not in steps:
            fail(f"--step: {step} is not in the trace (allowed: {', '.join(map(str, steps))})")
        return {step}
    if algorithm is not None:
        named = sorted({e["args"]["step"] for e in spans if e["args"]["algorithm"] == algorithm})
        if not named:
            known = sorted({e["args"]["algorithm"] for e in spans})
            fail(f"--algorithm: '{algorithm}' is not in the trace (allowed: {', '.join(known)})")
        return {named[0]}
    return set(steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace")
    parser.add_argument("-o", "--output", default="trace.png")
    parser.add_argument("--algorithm", help="only the first step of this algorithm")
    parser.add_argument("--step", type=int, help="only this step")
    parser.add_argument("--no-arrows", action="store_true", help="leave out the send-to-receive arrows")
    parser.add_argument("--title")
    a = parser.parse_args()

    doc = load(a.trace)
    events = doc["traceEvents"]
    spans = [e for e in events if e.get("ph") == "X" and e.get("cat") in ("send", "recv")]
    if not spans:
        fail(f"{a.trace}: holds no send or receive events")
    steps = choose_steps(spans, a.algorithm, a.step)
    spans = [e for e in spans if e["args"]["step"] in steps]
    names = {e["pid"]: e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "process_name"}
    ranks = sorted({e["pid"] for e in spans} | {e["args"]["peer"] for e in spans})
    lane = {r: i for i, r in enumerate(ranks)}
    origin = min(e["ts"] for e in spans)
    rounds = max(e["args"]["round"] for e in spans) + 1
    cmap = colormaps["viridis"].resampled(max(rounds, 2))
    norm = BoundaryNorm(range(rounds + 1), cmap.N) if rounds > 1 else None

    fig, ax = plt.subplots(figsize=(10, 1.0 + 0.55 * len(ranks)))
    for e in spans:
        y = lane[e["pid"]]
        start, width = e["ts"] - origin, max(e["dur"], 1e-3)
        if e["cat"] == "send":
            colour = cmap(norm(e["args"]["round"]) if norm else 0)
            ax.broken_barh([(start, width)], (y - 0.38, 0.36), facecolors=colour,
                           edgecolors="white", linewidth=0.3)
        else:
            ax.broken_barh([(start, width)], (y + 0.04, 0.3), facecolors="0.75",
                           edgecolors="white", linewidth=0.3)

    flows = {}
    for e in events:
        if e.get("ph") in ("s", "f"):
            flows.setdefault(e["id"], {})[e["ph"]] = e
    sends = {(e["pid"], e["ts"]) for e in spans if e["cat"] == "send"}
    in_steps = [] if a.no_arrows else [
        f for f in flows.values()
        if "s" in f and "f" in f and (f["s"]["pid"], f["s"]["ts"]) in sends and f["f"]["pid"] in lane]
    if len(in_steps) <= MAX_ARROWS:
        for f in in_steps:
            x0, y0 = f["s"]["ts"] - origin, lane[f["s"]["pid"]] - 0.2
            x1, y1 = f["f"]["ts"] - origin, lane[f["f"]["pid"]] + 0.19
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops={"arrowstyle": "->", "color": "0.3", "lw": 0.5, "alpha": 0.6})

    ax.set_yticks(range(len(ranks)))
    ax.set_yticklabels([names.get(r, f"rank {r}") for r in ranks])
    ax.set_ylim(-0.6, len(ranks) - 0.4)
    ax.invert_yaxis()  # rank 0 on top; within a lane, sends above receives
    ax.set_xlabel("time (µs, from the first event drawn)")
    algorithms = sorted({e["args"]["algorithm"] for e in spans})
    ax.set_title(a.title or f"{', '.join(algorithms)}: sends (coloured by round) above, receives "
                            f"(grey) below")
    if rounds > 1:
        sm = plt.cm.ScalarMappable(cmap=cmap, norm=norm)
        bar = fig.colorbar(sm, ax=ax, pad=0.01)
        step = max(1, rounds // 12)
        bar.set_ticks([r + 0.5 for r in range(0, rounds, step)])
        bar.set_ticklabels([str(r) for r in range(0, rounds, step)])
        bar.set_label("round")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(a.output, dpi=110)
    print(f"wrote {a.output}: {len(spans)} events of {len(ranks)} ranks")


if __name__ == "__main__":
    main()
