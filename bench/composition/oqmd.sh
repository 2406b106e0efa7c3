#!/usr/bin/env bash
# OQMD formation enthalpy: train on the train file, score on the val file (|y| <= 5 eV/atom, ElemNet's filter).
# Each step runs on one core through bench/heavy.sh (pinned, one thread, a lock per core).  Results in runs/composition/.
set -u
cd "$(dirname "$0")/../.."
D=../shared/datasets/composition
H=bench/heavy.sh
M=.venv/bin/matnn
# 1. Random forest on Magpie features: 100 trees on a 50,000-row random subset of the train file to bound
#    one core's time (the forest is not saved); scored on the whole val file.
[ -f runs/composition/oqmd_rf_magpie_50k/metrics.json ] || $H $M composition train --train $D/oqmd_formation_enthalpy_train.csv \
  --test $D/oqmd_formation_enthalpy_val.csv --model rf-magpie --n-estimators 100 --max-train 50000 --max-abs-target 5 \
  --no-save-model --seed 0 --quiet --target-label "formation enthalpy (eV/atom)" --out runs/composition/oqmd_rf_magpie_50k
#    ... and on the whole train file (~8 min, ~3 GB of memory).
[ -f runs/composition/oqmd_rf_magpie_full/metrics.json ] || $H $M composition train --train $D/oqmd_formation_enthalpy_train.csv \
  --test $D/oqmd_formation_enthalpy_val.csv --model rf-magpie --n-estimators 100 --max-abs-target 5 \
  --no-save-model --seed 0 --quiet --target-label "formation enthalpy (eV/atom)" --out runs/composition/oqmd_rf_magpie_full
# 2. Featurizer speed against matminer (same process).
$H .venv/bin/python bench/composition/featurizer_speed.py --n 5000
# 3. Depth study on a 10k-row subset (test: 5k rows of the val file).
$H $M composition depth-study --train $D/oqmd_formation_enthalpy_train.csv --test $D/oqmd_formation_enthalpy_val.csv \
  --max-abs-target 5 --max-train 10000 --max-test 5000 --depths 1,2,3,5,8,12,17,24 --batch-size 128 \
  --learning-rate 5e-4 --reduce-lr-patience 4 --patience 10 --epochs 60 --n-estimators 100 --seed 0 --quiet \
  --out runs/composition/depth_study
# 4. ElemNet on the whole train file with the published settings (batch 32, Adam 1e-4, patience 20) and
#    Monte Carlo dropout (10 passes, the elemnet default). Long: ~136 s an epoch on one core, 59–136 s with
#    2 threads on both cores depending on the box (ELEMNET_BOTH_CORES=1; nothing else may run beside it). Resumable: re-running the
#    same command continues from DIR/work/backup. ELEMNET_EPOCHS sets the budget; the benchmark figure is 60 epochs
#    continued for 60 more with --init-from DIR/model (docs/studies/composition-elemnet.md).
#    Set RUN_ELEMNET=1 to include it.
if [ "${RUN_ELEMNET:-0}" = 1 ]; then
  if [ "${ELEMNET_BOTH_CORES:-0}" = 1 ]; then
    RUN=($H --both)
  else
    RUN=($H)
  fi
  E=${ELEMNET_EPOCHS:-100}
  "${RUN[@]}" $M composition train --train $D/oqmd_formation_enthalpy_train.csv --test $D/oqmd_formation_enthalpy_val.csv \
    --model elemnet --max-abs-target 5 --batch-size 32 --learning-rate 1e-4 --patience 20 --epochs "$E" \
    --mc-samples 10 --seed 0 --target-label "formation enthalpy (eV/atom)" --out runs/composition/oqmd_elemnet_e$E
fi
