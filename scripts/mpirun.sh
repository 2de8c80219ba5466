#!/usr/bin/env bash
# mpirun with what a single machine needs: more ranks than cores (--oversubscribe), and
# --allow-run-as-root when run as root (containers, CI). Arguments are mpirun's.
set -euo pipefail
extra=(--oversubscribe)
[ "$(id -u)" -eq 0 ] && extra+=(--allow-run-as-root)
exec mpirun "${extra[@]}" "$@"
