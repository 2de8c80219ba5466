#!/usr/bin/env python3
"""Checks the results folder a commsim sbatch script wrote (used by run_slurm_test.sh).

  COMMSIM_BIN=... check_results.py RESULTS_DIR SUBDIR... [--bench] [--topology] [--plots]

Every SUBDIR/table.json must be a table document whose rows all hold: counts equal to the
formulas, no wrong element, ok. With --bench every SUBDIR/bench.json must have rows with the
benchmark fields. With --topology every SUBDIR/topology.yaml must be a topology file written by
commsim calibrate. With --plots the folder must have summary.json and the two PNGs.
"""
import json
import os
import subprocess
import sys

TABLE_ROW = ["paradigm", "messages", "message_bytes_min", "message_bytes_max", "total_bytes",
             "expected_messages", "expected_total_bytes", "ok", "wrong", "time_s"]
BENCH_ROW = ["paradigm", "size_bytes", "time_avg_s", "time_min_s", "time_max_s", "algbw_GBps",
             "busbw_GBps", "iterations"]



def table_rows():
    """The algorithms `commsim table` runs by default: the registry's table rows, from
    `$COMMSIM_BIN list`."""
    binary = os.environ.get("COMMSIM_BIN")
    if not binary:
        fail("COMMSIM_BIN is not set (the commsim binary whose `list` names the table's rows)")
    out = subprocess.run([binary, "list", "--format", "json"], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"{binary} list exited {out.returncode}: {out.stderr.strip()}")
    return {r["name"] for r in json.loads(out.stdout)["rows"] if r["table_row"]}


def fail(msg):
    print(f"check_results: FAIL {msg}")
    sys.exit(1)


def load(path):
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        fail(f"{path} is missing or empty")
    with open(path) as f:
        text = f.read()
    try:
        return json.loads(text)
    except ValueError as e:
        fail(f"{path} is not JSON ({e}): {text[:200]!r}")


def main():
    argv = sys.argv[1:]
    flags = {a for a in argv if a.startswith("--")}
    results, *subdirs = [a for a in argv if not a.startswith("--")]
    expected = table_rows()
    for sub in subdirs:
        table = load(os.path.join(results, sub, "table.json"))
        for key in ("world_size", "workers", "params", "dtype", "element_bytes", "rows"):
            if key not in table:
                fail(f"{sub}/table.json has no '{key}'")
        seen = set()
        for row in table["rows"]:
            missing = [k for k in TABLE_ROW if k not in row]
            if missing:
                fail(f"{sub}/table.json row lacks {missing}")
            if not (row["ok"] and row["wrong"] == 0 and row["messages"] == row["expected_messages"]
                    and row["total_bytes"] == row["expected_total_bytes"]):
                fail(f"{sub}/table.json: {row['paradigm']} check failed: {row}")
            seen.add(row["paradigm"])
        if seen != expected:
            fail(f"{sub}/table.json has paradigms {sorted(seen)}, expected {sorted(expected)}")
        print(f"check_results: {sub}/table.json: world_size {table['world_size']}, "
              f"n = {table['workers']}, {len(table['rows'])} rows, all counts and results right")
        if "--bench" in flags:
            bench = load(os.path.join(results, sub, "bench.json"))
            rows = bench.get("rows", [])
            if not rows:
                fail(f"{sub}/bench.json has no rows")
            for row in rows:
                missing = [k for k in BENCH_ROW if k not in row]
                if missing:
                    fail(f"{sub}/bench.json row lacks {missing}")
            print(f"check_results: {sub}/bench.json: {len(rows)} rows, sizes "
                  f"{sorted({r['size_bytes'] for r in rows})}")
        if "--topology" in flags:
            path = os.path.join(results, sub, "topology.yaml")
            if not os.path.isfile(path):
                fail(f"{sub}/topology.yaml is missing")
            with open(path) as f:
                text = f.read()
            need = ["# Measured by `commsim calibrate`", "\nhosts: ", "\ndevices_per_host: ",
                    "latency: "]
            missing = [n.strip() for n in need if n not in text]
            if missing:
                fail(f"{sub}/topology.yaml lacks {missing}: {text[:300]!r}")
            print(f"check_results: {sub}/topology.yaml: measured links present")
    if "--plots" in flags:
        summary = load(os.path.join(results, "summary.json"))
        if len(summary.get("runs", [])) != len(subdirs):
            fail(f"summary.json lists {len(summary.get('runs', []))} runs, expected {len(subdirs)}")
        for png in ("busbw_vs_size.png", "time_vs_n.png"):
            path = os.path.join(results, png)
            with open(path, "rb") as f:
                if f.read(8) != b"\x89PNG\r\n\x1a\n":
                    fail(f"{png} is not a PNG")
        print("check_results: summary.json and both plots present")
    print("check_results: ok")


if __name__ == "__main__":
    main()
