#!/usr/bin/env bash
# OQMD formation enthalpy: train on the train file, score on the val file (|y| <= 5 eV/atom, ElemNet's filter).
# Each step runs on one core through /work/tools/heavy.  Results in runs/composition/.
set -u
cd "$(dirname "$0")/.."
D=../shared/datasets/composition
H=/work/tools/heavy
M=.venv/bin/matnn
# 1. Random forest on Magpie features (100 trees to bound CPU time; the forest is not saved, ~GBs).
[ -f runs/composition/oqmd_rf_magpie/metrics.json ] || $H $M composition train --train $D/oqmd_formation_enthalpy_train.csv \
  --test $D/oqmd_formation_enthalpy_val.csv --model rf-magpie --n-estimators 100 --max-abs-target 5 --no-save-model \
  --seed 0 --quiet --target-label "formation enthalpy (eV/atom)" --out runs/composition/oqmd_rf_magpie
# 2. Featurizer speed against matminer (same process).
$H .venv/bin/python bench/composition_featurizer_speed.py --n 5000
# 3. Depth study on a 10k-row subset (test: 5k rows of the val file).
$H $M composition depth-study --train $D/oqmd_formation_enthalpy_train.csv --test $D/oqmd_formation_enthalpy_val.csv \
  --max-abs-target 5 --max-train 10000 --max-test 5000 --depths 1,2,3,5,8,12,17,24 --batch-size 128 \
  --learning-rate 5e-4 --reduce-lr-patience 4 --patience 10 --epochs 60 --n-estimators 100 --seed 0 --quiet \
  --out runs/composition/depth_study
