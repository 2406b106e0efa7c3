"""The pruning callback reaches every Model.fit through the ambient-callback hook and stops the trial."""

import numpy as np
import optuna
import pytest

import matnn
from matnn.core.callbacks.ambient import make_ambient_callbacks
from matnn.design.tune.pruning import PruningCallback, report_to_trial
from matnn.layers import Dense

optuna.logging.set_verbosity(optuna.logging.ERROR)


def _fit(epochs=20):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = x @ np.array([[1.0], [2.0], [-1.0]], dtype="float32")
    model = matnn.Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model.fit(x, y, epochs=epochs, batch_size=32, validation_split=0.25, verbose=0)


def test_pruning_stops_a_trial_inside_fit():
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=-1.0, n_warmup_steps=2))
    trial = study.ask()
    with report_to_trial(trial, "val_loss"), pytest.raises(optuna.TrialPruned):
        _fit(epochs=20)
    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    frozen = study.trials[0]
    assert frozen.state == optuna.trial.TrialState.PRUNED
    assert sorted(frozen.intermediate_values) == [
        0,
        1,
        2,
    ]  # stopped after the third epoch, not the twentieth


def test_no_pruning_reports_every_epoch_and_the_hook_is_scoped():
    study = optuna.create_study(pruner=optuna.pruners.NopPruner())
    trial = study.ask()
    with report_to_trial(trial):
        assert len(make_ambient_callbacks()) == 1
        _fit(epochs=5)
        _fit(epochs=3)  # a second fit of the same trial continues the step count
    assert make_ambient_callbacks() == []
    study.tell(trial, 0.0)
    assert sorted(study.trials[0].intermediate_values) == list(range(8))
    assert isinstance(PruningCallback(trial), matnn.callbacks.Callback)


def test_a_validation_monitor_falls_back_to_the_same_training_log():
    # without validation data, val_accuracy falls back to accuracy (same direction), never to the loss
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.NopPruner())
    trial = study.ask()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = matnn.Sequential([Dense(2, activation="softmax", input_shape=(3,))])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with report_to_trial(trial, "val_accuracy"):
        history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    study.tell(trial, 0.0)
    reported = study.trials[0].intermediate_values
    assert [reported[k] for k in sorted(reported)] == pytest.approx(history.history["accuracy"])
