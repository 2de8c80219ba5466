#!/usr/bin/env bash
# On a GPU machine: builds commsim with CUDA and NCCL, runs every GPU test and benchmark in one go,
# and prints a short table last. Exit status 0 when every check held, 1 when one failed, 2 when
# the machine lacks something (no GPU, no toolkit, no MPI and no packages to unpack).
#
#   scripts/gpu-deps.sh     # where Debian's apt-get works: downloads .gpu-deps/ (about 10 MB)
#   scripts/gpu-check.sh    # on the GPU machine, with .gpu-deps/ carried along if it has no MPI
#
# A machine with its own MPI (mpirun and mpicxx on the PATH) uses it and needs no .gpu-deps/.
# Otherwise the Debian 12 packages in .gpu-deps/ are unpacked into a private prefix (dpkg -x;
# nothing is installed) and Open MPI is pointed at it with OPAL_PREFIX. NCCL is taken from the
# CUDA toolkit, $NCCL_HOME, or the nvidia-nccl Python wheel. Logs go to $OUT if it is set, else
# build-gpu/gpu-check/. What needs several GPUs is reported as not executed on a one-GPU machine.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
deps=${COMMSIM_GPU_DEPS:-$root/.gpu-deps}
build=${COMMSIM_GPU_BUILD_DIR:-$root/build-gpu}
logs=${OUT:-$build/gpu-check}
mkdir -p "$logs"
rows=()
failed=0
row() { rows+=("$1|$2|$3"); }
note() { echo "gpu-check: $*" >&2; }
die() { note "$*"; exit 2; }

# ---- the machine ---------------------------------------------------------------------------
command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || die "no nvcc (the CUDA toolkit) on this machine"
command -v nvcc >/dev/null || export PATH=/usr/local/cuda/bin:$PATH
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
nvidia-smi -L 2>/dev/null | tee "$logs/gpus.txt" >&2
[ "${gpus:-0}" -ge 1 ] || die "nvidia-smi lists no GPU"
for tool in cmake g++; do command -v $tool >/dev/null || die "no $tool on this machine"; done

# ---- MPI, the libraries and NCCL: the machine's own, or the unpacked packages ----------------
source "$root/scripts/gpu-env.sh" || die "cannot set up MPI and the libraries (see above)"

# ---- build ----------------------------------------------------------------------------------------
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
note "configuring and building in $build"
if ! cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
      -DCOMMSIM_WITH_CUDA=ON "${COMMSIM_CMAKE_ARGS[@]}" >"$logs/configure.log" 2>&1; then
  tail -30 "$logs/configure.log" >&2
  die "configure failed (log: $logs/configure.log)"
fi
if ! cmake --build "$build" -j "$(nproc)" >"$logs/build.log" 2>&1; then
  grep -E "error|Error" "$logs/build.log" | head -30 >&2
  row "build (CUDA + NCCL)" "FAIL" "see build.log"
  failed=1
else
  row "build (CUDA + NCCL)" "ok" "$(grep -m1 'CMAKE_CUDA_ARCHITECTURES:' "$build/CMakeCache.txt" | cut -d= -f2) architectures"
fi

# ---- tests ------------------------------------------------------------------------------------------
ctest_summary() {  # label
  local log=$logs/ctest-$1.log
  (cd "$build" && ctest -L "$1" --output-on-failure -V -j 1 >"$log" 2>&1)
  local rc=$?
  local total passed skipped
  total=$(grep -oE 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  passed=$(grep -cE 'Test +#[0-9]+: .* Passed' "$log" || true)
  skipped=$(grep -cE '\*\*\*Skipped' "$log" || true)
  [ $rc -eq 0 ] || failed=1
  row "ctest -L $1" "$([ $rc -eq 0 ] && echo ok || echo FAIL)" "$passed passed, $skipped skipped, of ${total:-?}"
}
if [ $failed -eq 0 ]; then
  ctest_summary gpu
  ctest_summary unit
  # The one-rank NCCL and shared-GPU checks print a line each (ctest -V prefixes the test number).
  grep -E "^[0-9]+: (ok  |FAIL |# |float|bfloat)" "$logs/ctest-gpu.log" | sed -E 's/^[0-9]+: //' \
    >"$logs/rank-checks.txt" || true
  skipped_reasons=$(grep -A1 'Skipped$' "$logs/ctest-gpu.log" | grep -E 'not executed|no CUDA' | sort -u | head -3)
  [ -n "$skipped_reasons" ] && note "skipped: $skipped_reasons"
fi

# ---- benchmarks -------------------------------------------------------------------------------------
bench=$build/bench/device_reduce_bench
if [ $failed -eq 0 ] && [ -x "$bench" ]; then
  "$bench" --benchmark_format=json --benchmark_out="$logs/device_reduce.json" \
    --benchmark_out_format=json >"$logs/device_reduce.txt" 2>&1 || failed=1
  ratio=$(python3 - "$logs/device_reduce.json" <<'PY'
import json, sys
rows = {b["name"]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
copy = rows.get("d2d_copy/268435456/manual_time")
add = rows.get("add_float32/268435456/manual_time")
if not copy or not add or "traffic_GBps" not in copy or "traffic_GBps" not in add:
    print("none"); sys.exit()
r = add["traffic_GBps"] / copy["traffic_GBps"]
others = ", ".join(f'{n.split("/")[0][4:]} {b["traffic_GBps"]:.0f}' for n, b in rows.items()
                   if n.startswith("add_") and "268435456" in n and "float32" not in n)
print(f'{r:.3f} add {add["traffic_GBps"]:.0f} GB/s vs copy {copy["traffic_GBps"]:.0f} GB/s '
      f'(reads+writes; {others})')
PY
)
  if [ "${ratio%% *}" = none ] || [ -z "$ratio" ]; then
    row "kernel vs D2D copy, f32 256 MiB" "FAIL" "benchmark gave no figures"
    failed=1
  else
    ok=$(python3 -c "print('ok' if ${ratio%% *} >= 0.8 else 'FAIL')")
    [ "$ok" = ok ] || failed=1
    row "kernel vs D2D copy, f32 256 MiB" "$ok" "${ratio%% *}x (target >= 0.8): ${ratio#* }"
  fi
fi

# commsim itself: several ranks sharing this GPU over MPI (staged or CUDA-aware), and NCCL.
run_table() {  # name ranks args...
  local name=$1 ranks=$2
  shift 2
  local log=$logs/table-$name.json
  if mpirun --allow-run-as-root --oversubscribe -np "$ranks" "$build/commsim" table "$@" \
       --format json >"$log" 2>"$logs/table-$name.err"; then
    row "table $name" "ok" "$(python3 -c "
import json; d = json.load(open('$log'))
print(f\"{d['world_size']} ranks, n={d['workers']}, {d['data_path']}, \" +
      ', '.join(f\"{r['paradigm']} {r['time_s']*1e3:.2f} ms\" for r in d['rows']))")"
  else
    row "table $name" "FAIL" "$(tail -1 "$logs/table-$name.err")"
    failed=1
  fi
}
if [ $failed -eq 0 ] || [ -x "$build/commsim" ]; then
  run_table "mpi-device-4ranks-f32" 4 --memory device -p 64M
  run_table "mpi-device-4ranks-bf16" 4 --memory device -p 16M -d bfloat16
  if [ "$gpus" -ge 2 ]; then
    run_table "nccl-${gpus}gpus" "$gpus" --backend nccl -p 64M
  else
    row "NCCL over several GPUs" "not executed" "needs several GPUs (this machine has $gpus): ring vs ncclAllReduce busbw at 256 MiB, table --backend nccl"
  fi
  # The device path's own figures: two ranks on the GPU, over MPI on device buffers.
  if mpirun --allow-run-as-root --oversubscribe -np 2 "$build/commsim" calibrate --memory device \
       -e 256M -o "$logs/topology-mpi-device.yaml" >"$logs/calibrate.txt" 2>"$logs/calibrate.err"; then
    row "calibrate --memory device, 2 ranks" "ok" "$(grep -E '^(intra-host|reduction)' "$logs/calibrate.txt" | tr '\n' ';')"
  else
    row "calibrate --memory device, 2 ranks" "FAIL" "$(tail -1 "$logs/calibrate.err")"
    failed=1
  fi
  if "$build/commsim" bench --help >/dev/null 2>&1; then
    log=$logs/bench-mpi-device.json
    if mpirun --allow-run-as-root --oversubscribe -np 3 "$build/commsim" bench --memory device \
         -b 1M -e 64M -f 4 --format json >"$log" 2>"$logs/bench-mpi-device.err"; then
      row "bench --memory device, 3 ranks" "ok" "$(python3 -c "
import json; d = json.load(open('$log'))
big = max(r['size_bytes'] for r in d['rows'])
print(d['data_path'] + ', 64 MiB busbw GB/s: ' + ', '.join(f\"{r['paradigm']} {r['busbw_GBps']:.1f}\" for r in d['rows'] if r['size_bytes'] == big) +
      ('; skipped ' + ', '.join(x['paradigm'] for x in d['skipped']) if d['skipped'] else ''))")"
    else
      row "bench --memory device, 3 ranks" "FAIL" "$(tail -1 "$logs/bench-mpi-device.err")"
      failed=1
    fi
    if [ "$gpus" -ge 2 ]; then
      log=$logs/bench-nccl.json
      if mpirun --allow-run-as-root -np "$gpus" "$build/commsim" bench --backend nccl \
           --paradigm all-to-all,parameter-server,ring-allreduce,nccl-allreduce \
           -b 1M -e 256M -f 4 --format json >"$log" 2>"$logs/bench-nccl.err"; then
        verdict=$(python3 -c "
import json; d = json.load(open('$log'))
big = max(r['size_bytes'] for r in d['rows'])
bw = {r['paradigm']: r['busbw_GBps'] for r in d['rows'] if r['size_bytes'] == big}
r = bw['ring-allreduce'] / bw['nccl-allreduce']
print(('ok' if r >= 0.9 else 'FAIL') + f'|{r:.2f}x at {big >> 20} MiB (target >= 0.9): ring {bw[\"ring-allreduce\"]:.1f}, ncclAllReduce {bw[\"nccl-allreduce\"]:.1f} GB/s busbw')")
        row "ring vs ncclAllReduce, $gpus GPUs" "${verdict%%|*}" "${verdict#*|}"
        [ "${verdict%%|*}" = ok ] || failed=1
      else
        row "bench --backend nccl, $gpus GPUs" "FAIL" "$(tail -1 "$logs/bench-nccl.err")"
        failed=1
      fi
    fi
  fi
fi

# ---- the table --------------------------------------------------------------------------------------
{
  echo
  echo "# commsim gpu-check on $(head -1 "$logs/gpus.txt" | sed 's/ (UUID.*//') ($gpus GPU(s)), logs in $logs"
  printf '%-36s %-13s %s\n' "check" "result" "detail"
  for r in "${rows[@]}"; do
    IFS='|' read -r a b c <<<"$r"
    printf '%-36s %-13s %s\n' "$a" "$b" "$c"
  done
  echo "# $([ $failed -eq 0 ] && echo 'every check held' || echo 'A CHECK FAILED')"
} | tee "$logs/summary.txt"
exit $failed
