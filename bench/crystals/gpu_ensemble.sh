#!/usr/bin/env bash
# CGCNN on a lent GPU inside one fixed time budget: CUDA checks, a 2-epoch pilot that measures the
# epoch time, then K members (same split, different weight seeds) with as many epochs as the budget
# allows, and their ensemble.  The number of epochs comes from the clock, never from a score.
#
#   bash bench/crystals/gpu_ensemble.sh PACK DATA OUT_DIR [BUDGET_S]
#
# PACK: bench/crystals/graph_pack.py's pack of DATA's graph cache (the GPU machine has no pymatgen).
# Environment: K (members, default 4), PY (python, default python3), DEVICE (default cuda),
# EXTRA (extra 'crystals train' arguments, e.g. "--max-train 300" for a dry run), SEED0 (default 10; member k
# gets seed SEED0 + k), EPOCHS (skip the pilot and train this many epochs), SKIP_TESTS=1.
# Not yet measured on a GPU: EXTRA="--jit-compile" fuses CGCNN's elementwise kernels with
# torch.compile (Triton on CUDA). The H200 steps were launch-bound (about 9.4 ms per batch of 64), so fewer, fused
# kernels should pay more there than the 1.75x measured on a CPU core; the pilot's epoch time will show it.
set -u
T0=$(date +%s)
PACK=$1; DATA=$2; OUTDIR=$3; BUDGET=${4:-560}
K=${K:-4}; PY=${PY:-python3}; DEVICE=${DEVICE:-cuda}; EXTRA=${EXTRA:-}; SEED0=${SEED0:-10}
WORK=${WORK:-/tmp/gpu_runs}
export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 MPLBACKEND=Agg
export MATNN_CACHE_DIR=${MATNN_CACHE_DIR:-/tmp/matnn_cache} MATNN_NUM_THREADS=${MATNN_NUM_THREADS:-2}
mkdir -p "$OUTDIR" "$WORK"
LOG=$OUTDIR/gpu_run.log
exec > >(tee -a "$LOG") 2>&1
left() { echo $(( T0 + BUDGET - $(date +%s) )); }
stamp() { echo "[$(( $(date +%s) - T0 )) s] $*"; }

stamp "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
nproc
$PY -c "import sys, torch, numpy; print('python', sys.version.split()[0], 'torch', torch.__version__, 'numpy', numpy.__version__, 'cuda', torch.cuda.is_available())"

stamp "unpack graphs"
$PY bench/crystals/graph_pack.py unpack "$PACK" "$DATA" || exit 1

if [ "${SKIP_TESTS:-0}" != 1 ]; then
  stamp "CUDA agreement tests"
  timeout 120 $PY -m pytest -q -p no:cacheprovider tests/core/test_cuda.py 2>&1 | tail -15
fi

RUN="$PY bench/crystals/graph_pack.py run-with-table $PACK --"
COMMON="crystals train --data $DATA --model cgcnn --val-fraction 0.05 --split-seed 0 --device $DEVICE $EXTRA"

if [ -z "${EPOCHS:-}" ]; then
  stamp "pilot: $K processes x 2 epochs"
  PIDS=""
  for k in $(seq 1 "$K"); do
    timeout 150 $RUN $COMMON --epochs 2 --seed $((SEED0 + 90 + k)) --out "$WORK/pilot$k" > "$WORK/pilot$k.log" 2>&1 &
    PIDS="$PIDS $!"
  done
  wait $PIDS  # a bare 'wait' would also wait for the tee of the log
  grep -h "Epoch 2/2" "$WORK"/pilot*.log
  T_EPOCH=$(grep -h "Epoch 2/2" "$WORK"/pilot*.log | sed -E 's/.* - ([0-9.]+)s - .*/\1/' | sort -g | tail -1)
  if [ -z "$T_EPOCH" ]; then stamp "pilot failed"; tail -20 "$WORK"/pilot1.log; exit 1; fi
  # 60 s are kept for the end of each run (BatchNorm recalibration, test scores, figures) and the ensemble.
  EPOCHS=$($PY -c "print(max(5, min(600, int(($(left) - 60) / ($T_EPOCH * 1.2)))))")
  stamp "slowest pilot epoch ${T_EPOCH} s with $K processes -> $EPOCHS epochs per member ($(left) s left)"

fi
stamp "members"
PIDS=""
for k in $(seq 1 "$K"); do
  timeout $(( $(left) + 20 )) $RUN $COMMON --epochs "$EPOCHS" --seed $((SEED0 + k)) --out "$WORK/m$k" > "$WORK/m$k.log" 2>&1 &
  PIDS="$PIDS $!"
done
wait $PIDS
for k in $(seq 1 "$K"); do tail -2 "$WORK/m$k.log"; done

if [ "$K" -ge 2 ]; then
  stamp "ensemble"
  timeout $(( $(left) + 30 )) $RUN crystals ensemble $(for k in $(seq 1 "$K"); do echo "$WORK/m$k"; done) --out "$WORK/ensemble" --device "$DEVICE" 2>&1 | tail -8
fi
stamp "done"
tar czf "$OUTDIR/gpu_runs.tar.gz" --exclude=backup -C "$(dirname "$WORK")" "$(basename "$WORK")"
ls -la "$OUTDIR"
