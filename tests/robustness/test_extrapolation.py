"""TrainingRange: per-feature z-scores against stored training statistics."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import DataError
from matnn.data.extrapolation import TrainingRange


def test_rows_beyond_four_sigma_or_off_a_constant_feature_are_flagged(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=500), np.full(500, 3.0)])
    tr = TrainingRange.fit(X, ["a", "const"])
    new = np.array([[0.1, 3.0], [10.0, 3.0], [0.0, 3.5], [np.nan, 3.0]])
    beyond, max_z, worst = tr.check(new)
    assert beyond.tolist() == [False, True, True, True] and worst[1] == 0 and worst[2] == 1
    back = TrainingRange.load(tr.save(tmp_path / "r.json"))
    np.testing.assert_allclose(back.mean, tr.mean)
    m = back.report(new, ["ok", "far", "const", "nan"], what="row")
    assert m["n_beyond_training"] == 3 and m["beyond_training_ids"] == ["far", "const", "nan"]
    assert m["max_feature_z"] is None  # an infinite z (NaN input) is null in JSON
    assert "3 of 4 row(s) lie beyond the training data" in capsys.readouterr().err
    assert TrainingRange.load(tmp_path / "absent.json") is None
    (tmp_path / "bad.json").write_text('{"names": ["a"]}')
    with pytest.raises(DataError, match="bad.json"):
        TrainingRange.load(tmp_path / "bad.json")
