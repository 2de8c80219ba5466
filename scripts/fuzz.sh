#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang and runs each for SECONDS (default 20) on its
# corpus in fuzz/corpus/<target>/. New inputs go to build-fuzz/corpus/, never into the repository;
# a crash leaves its input in build-fuzz/artifacts/ and fails (status 1). Status 77: no clang
# with libFuzzer here (CI installs it: scripts/bootstrap.sh --extra fuzz).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 3600 topology_fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
case "$seconds" in ''|*[!0-9]*) echo "fuzz: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;; esac

cxx=${COMMSIM_FUZZ_CXX:-$(command -v clang++-14 || command -v clang++ || true)}
if [ -z "$cxx" ]; then
  echo "fuzz: SKIPPED: no clang++ (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 77
fi
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
     "$cxx" -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  echo "fuzz: SKIPPED: $cxx cannot link libFuzzer (apt-get install libclang-rt-14-dev)" >&2
  exit 77
fi

build=${COMMSIM_FUZZ_BUILD_DIR:-build-fuzz}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S fuzz -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build "$build" >/dev/null

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for t in size_parse_fuzz topology_fuzz workload_fuzz; do [ -x "$build/$t" ] && targets+=("$t"); done
fi
mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  seeds=fuzz/corpus/${t%_fuzz}
  work=$build/corpus/${t%_fuzz}
  mkdir -p "$work"
  echo "fuzz: $t for ${seconds} s (seeds: $seeds)"
  if ! "$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$t-" "$work" "$seeds" >"$build/$t.log" 2>&1; then
    echo "fuzz: $t FAILED; its log: $build/$t.log; the input: $(ls -t "$build"/artifacts/"$t"-* 2>/dev/null | head -1)" >&2
    grep -E '^(==|SUMMARY|[a-z_]+_fuzz:)' "$build/$t.log" | head -20 >&2 || true
    status=1
    continue
  fi
  grep -E 'stat::number_of_executed_units|stat::new_units_added' "$build/$t.log" | tr '\n' ' ' | sed 's/^/fuzz:   /'
  echo
done
exit $status
