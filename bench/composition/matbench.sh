#!/usr/bin/env bash
# Matbench-style 5-fold CV (KFold shuffle, random_state 18012019) on expt_gap and steels_yield.
# Run from the repo root on one core:  bench/heavy.sh bash bench/composition/matbench.sh
# Results: runs/composition/<task>_<model>/metrics.json (mae = mean over folds, mae_std = std over folds).
set -e
D=../shared/datasets/composition
M="${MATNN:-.venv/bin/matnn}"
for task in matbench_expt_gap matbench_steels_yield; do
  for model in rf-magpie auto; do
    /usr/bin/time -f "$task $model wall %e s" $M composition cv --data $D/$task.csv --model $model --folds 5 \
      --seed 0 --quiet --out runs/composition/${task}_${model}
  done
  # auto with one 10 % hold-out split for the inner model choice (cheaper; the recorded expt_gap number).
  /usr/bin/time -f "$task auto (hold-out selection) wall %e s" $M composition cv --data $D/$task.csv --model auto \
    --selection-folds 1 --folds 5 --seed 0 --quiet --out runs/composition/${task}_auto_holdout10
done
