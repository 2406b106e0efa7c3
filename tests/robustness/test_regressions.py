"""Cases from a hostile-user review that once ended in a traceback or a silent wrong answer; each is one line now."""

from __future__ import annotations

import json

import numpy as np
import pytest


def test_metrics_given_as_one_string_is_one_metric():
    import matnn
    from matnn.layers import Dense

    model = matnn.Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse", metrics="mae")
    assert model.metrics_names == ["loss", "mae"]


def test_damaged_preprocessing_json_is_a_data_error(tmp_path):
    from matnn.core.exceptions import DataError
    from matnn.models.composition import load_estimator

    (tmp_path / "preprocessing.json").write_text('{"model": "dense", "features": ')
    with pytest.raises(DataError, match="preprocessing.json is damaged"):
        load_estimator(tmp_path)


def test_load_model_on_empty_and_random_files(tmp_path):
    import matnn
    from matnn.core.exceptions import DataError

    empty, noise = tmp_path / "empty.matnn", tmp_path / "noise.matnn"
    empty.write_bytes(b"")
    noise.write_bytes(np.random.default_rng(0).bytes(200))
    with pytest.raises(DataError, match="is empty"):
        matnn.load_model(empty)
    with pytest.raises(DataError, match="not a matnn model file") as info:
        matnn.load_model(noise)
    assert "weights_only" not in str(info.value)  # never suggest running code from a foreign file


def test_save_to_a_folder_that_cannot_exist_names_the_users_path(tmp_path):
    import matnn
    from matnn.layers import Dense

    blocker = tmp_path / "file"
    blocker.write_text("x")
    model = matnn.Sequential([Dense(1, input_shape=(2,))])
    with pytest.raises(OSError) as info:
        model.save(blocker / "model.matnn")
    assert str(blocker) in str(info.value) and ".tmp" not in str(info.value) and "/." not in str(info.value)


def test_schema_piped_into_a_closed_reader_is_quiet():
    import subprocess
    import sys

    proc = subprocess.run(
        f"{sys.executable} -m matnn run --schema | head -1", shell=True, capture_output=True, text=True, timeout=120
    )
    assert proc.stdout.strip() == "{" and "Traceback" not in proc.stderr


def test_written_files_follow_the_umask(tmp_path):
    import os

    from matnn.utils.io import write_json

    old = os.umask(0o022)
    try:
        path = write_json(tmp_path / "m.json", {"a": 1})
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == 0o644 and json.loads(path.read_text()) == {"a": 1}
