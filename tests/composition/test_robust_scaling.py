"""Standardisation cannot turn one odd feature into a nonsense prediction (Magpie 'minimum GSmagmom')."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matnn.data.scaling import MAX_Z, Standardizer


def test_near_constant_columns_are_centred_not_scaled_and_z_is_bounded():
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=500), np.r_[np.zeros(497), [6e-6, 2e-5, 3e-4]], np.full(500, 2.0)]
    s = Standardizer.fit(X)
    assert s.n_unscaled == 2 and s.scale[1] == 1.0 and s.scale[2] == 1.0
    z = s.transform(np.array([[0.0, 1.55, 2.0], [1e9, 0.0, 2.0]]))
    assert abs(z[0, 1] - 1.55) < 1e-3  # an ordinary magnetic moment stays ordinary (plain scaling: z ≈ 1e5)
    assert z[1, 0] == MAX_Z and s.n_clipped(np.array([[1e9, 0.0, 2.0]])) == 1


def test_dense_network_on_expt_gap_predicts_fe9co7_within_the_training_range(shared_datasets):
    from matnn.data.composition.featurizers import magpie_features
    from matnn.models.composition import ModelSettings, make_estimator

    df = pd.read_csv(shared_datasets / "composition" / "matbench_expt_gap.csv")
    train = df[df.formula != "Fe9Co7"].sample(800, random_state=0)
    train = pd.concat([train, df[df.formula.isin(["MnNi", "Sc2Fe", "Ti2MnFe", "TiFe2"])]])
    est = make_estimator("dense", ModelSettings(epochs=15))
    est.fit(magpie_features(train.formula.tolist()), train.target.to_numpy(), seed=0)
    assert est.info_["n_features_unscaled"] >= 1
    pred = est.predict(magpie_features(["Fe9Co7", "Fe2O3"]))
    assert np.isfinite(pred).all()
    assert train.target.min() - 5 <= pred.min() and pred.max() <= train.target.max() + 5  # eV
