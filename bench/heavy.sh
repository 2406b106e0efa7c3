#!/usr/bin/env bash
# Run a benchmark the way bench/RESULTS.md figures were measured: pinned to one core, one thread in
# every math library, and alone on that core (a lock per core queues a second heavy job behind the first).
#
#   bench/heavy.sh [CORE | --both] COMMAND...
#
# CORE defaults to 0.  --both pins to cores 0,1 with 2 threads (nothing else may run beside it).
set -euo pipefail
cores=0 threads=1
case "${1:-}" in
  --both) cores=0,1 threads=2; shift ;;
  [0-9]|[0-9][0-9]) cores=$1; shift ;;
esac
[ $# -gt 0 ] || { echo "usage: bench/heavy.sh [CORE|--both] COMMAND..." >&2; exit 2; }
lock="${TMPDIR:-/tmp}/matnn-heavy-${cores//,/-}.lock"
run=(env MATNN_NUM_THREADS=$threads OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads "$@")
command -v taskset >/dev/null && run=(taskset -c "$cores" "${run[@]}")
if command -v flock >/dev/null; then exec flock "$lock" "${run[@]}"; else exec "${run[@]}"; fi
