#!/usr/bin/python3
"""How far each `commsim validate` run's measurements are from the other runs' of the same sweep:
the error a model that knew every step's typical time would still have against that run.

For each run and each algorithm and size, the reference is the median of the other runs'
measured times (the mean of the two middle ones when there are an even number), and the error
(reference - measured) / measured, as validate takes a prediction's. Printed per run: the median
and the largest magnitude of those errors and where the largest is, beside the run's own
prediction errors. A prediction cannot be expected to sit closer to one run than the runs sit to
each other (docs/validation.md).

  /usr/bin/python3 scripts/validate_spread.py v1.json v2.json v3.json [--step avg|median|min]

Every file must be validate's JSON (--json) for the same workers, algorithms and sizes. Bad
input: one line naming the file and what is wrong, exit status 2.
"""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import human_bytes  # noqa: E402  (sizes written as compare.py writes them)

STEPS = {"avg": "measured_avg_s", "median": "measured_median_s", "min": "measured_min_s"}


def fail(message):
    print(f"validate_spread: {message}", file=sys.stderr)
    sys.exit(2)


def load(path, field):
    """The run's measured time per (paradigm, variant, workers, size) and its summary."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except OSError as e:
        fail(f"{path}: {e.strerror}")
    except json.JSONDecodeError as e:
        fail(f"{path}: not JSON ({e.msg} at line {e.lineno})")
    rows = doc.get("rows") if isinstance(doc, dict) else None
    if not isinstance(rows, list) or not rows or "median_abs_error" not in doc:
        fail(f"{path}: not the JSON of commsim validate (no rows and median_abs_error)")
    cells = {}
    for r in rows:
        try:
            key = (r["paradigm"], r.get("variant", ""), r["workers"], r["size_bytes"])
            value = float(r[field])
        except (KeyError, TypeError, ValueError):
            fail(f"{path}: a row has no numeric {field}")
        if value <= 0:
            fail(f"{path}: {key[0]} at {key[3]} bytes has {field} {value} (allowed: > 0)")
        cells[key] = value
    return cells, doc


def percent(x):
    return "-" if x is None else f"{100 * x:.1f}%"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", help="validate --json files of the same sweep")
    ap.add_argument("--step", default="avg", choices=sorted(STEPS),
                    help="which measured time to compare (validate's --step; default avg)")
    a = ap.parse_args()
    if len(a.runs) < 2:
        fail(f"{len(a.runs)} run given (allowed: 2 or more, the same sweep measured again)")
    field = STEPS[a.step]
    runs = [load(path, field) for path in a.runs]
    keys = set(runs[0][0])
    for path, (cells, _) in zip(a.runs[1:], runs[1:]):
        if set(cells) != keys:
            missing = sorted(keys ^ set(cells))[0]
            fail(f"{path}: not the sweep of {a.runs[0]} ({missing[0]} with {missing[2]} workers at "
                 f"{missing[3]} bytes is in one and not the other)")

    print(f"# each run against the median of the other {len(runs) - 1} (measured: {a.step} step), "
          f"{len(keys)} points; beside it the run's own predictions")
    print(f"# {'run':<32} {'median':>8} {'max':>8}  {'largest at':<32} {'predicted median':>16} {'max':>8}")
    for i, (path, (cells, doc)) in enumerate(zip(a.runs, runs)):
        errors = {}
        for k in keys:
            others = [runs[j][0][k] for j in range(len(runs)) if j != i]
            errors[k] = statistics.median(others) / cells[k] - 1
        worst = max(keys, key=lambda k: abs(errors[k]))
        where = f"{worst[0]} {human_bytes(worst[3])} ({100 * errors[worst]:+.1f}%)"
        # The run's own errors are against the step it measured by; shown only when it is this one.
        same = doc.get("step", "avg") == a.step
        print(f"  {path:<32} {percent(statistics.median(abs(e) for e in errors.values())):>8} "
              f"{percent(abs(errors[worst])):>8}  {where:<32} "
              f"{percent(doc.get('median_abs_error') if same else None):>16} "
              f"{percent(doc.get('max_abs_error') if same else None):>8}")


if __name__ == "__main__":
    main()
