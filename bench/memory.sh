#!/usr/bin/env bash
# Peak memory per rank, one algorithm per MPI job, against SPEC §8's bound of 3*p*s plus 64 MiB.
# Peak RSS is a process's high-water mark, so each algorithm of `commsim list` (and the
# MPI_Allreduce baseline) runs in a job of its own, with 4 workers plus the dedicated ranks it
# needs (the parameter server's), so n = 4 throughout.
#
#   bench/memory.sh [SIZE]      SIZE = p*s in bytes, K/M/G allowed (default 256M: p = 64M float32)
#
# Environment: COMMSIM_BIN (default build/commsim). Prints one row per paradigm; exit status 0
# when every paradigm stays within the bound (the baseline is Open MPI's memory, shown, not held
# to it), 1 when one does not, 2 when a run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-256M}
bin=${COMMSIM_BIN:-build/commsim}
[ -x "$bin" ] || { echo "memory.sh: no commsim at '$bin' (build it, or set COMMSIM_BIN)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name and dedicated ranks of every algorithm, then the MPI baseline, from the registry
"$bin" list --format json | /usr/bin/python3 -c '
import json, sys
for r in json.load(sys.stdin)["rows"]:
    if r["kind"] == "algorithm" or r["name"] == "mpi-allreduce":
        print(r["name"], r["dedicated_ranks"])' >"$tmp/names"
# (mpirun forwards its stdin to rank 0: each job reads /dev/null, not the list being read here)
while read -r paradigm dedicated; do
  ranks=$((4 + dedicated))
  if ! scripts/mpirun.sh -np "$ranks" "$bin" bench -b "$size" -e "$size" -w 0 -n 1 -c 1 \
      --paradigm "$paradigm" --format json >"$tmp/$paradigm.json" 2>"$tmp/$paradigm.err" </dev/null; then
    echo "memory.sh: $paradigm: the run failed:" >&2
    cat "$tmp/$paradigm.err" >&2
    exit 2
  fi
done <"$tmp/names"

/usr/bin/python3 - "$tmp" <<'PY'
import json, sys, os
tmp = sys.argv[1]
names = [line.split()[0] for line in open(os.path.join(tmp, "names"))]
mib = 1 << 20
ok = True
print(f"# peak RSS per rank against 3*p*s + 64 MiB (SPEC §8), one MPI job per paradigm")
print(f"# {'paradigm':<18} {'ranks':>5} {'p':>10} {'bound (MiB)':>12} {'peak RSS per rank (MiB)':<32} verdict")
for name in names:
    doc = json.load(open(os.path.join(tmp, name + ".json")))
    rss = doc["peak_rss_bytes"]
    bound = doc["memory_bound_bytes"]
    within = max(rss) <= bound
    baseline = name.startswith("mpi-")
    if not baseline:
        ok = ok and within
    verdict = ("within" if within else "EXCEEDS") + (" (baseline, not held to it)" if baseline else "")
    peaks = " ".join(f"{b / mib:.0f}" for b in rss)
    print(f"  {name:<18} {doc['world_size']:>5} {doc['rows'][0]['count']:>10} {bound / mib:>12.0f} {peaks:<32} {verdict}")
print("# every paradigm within its bound" if ok else "# A PARADIGM EXCEEDS ITS BOUND")
sys.exit(0 if ok else 1)
PY
