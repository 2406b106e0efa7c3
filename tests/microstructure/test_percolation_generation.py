"""Percolation filter on constructed images; generation reproducible by seed; data file IO and errors."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError, DataError, ShapeError
from matnn.data.microstructure.dataset import MicrostructureDataset
from matnn.data.microstructure.percolation import percolates, percolating_mask


def test_straight_channel_percolates_and_isolated_pore_is_dropped():
    im = np.zeros((8, 8), bool)
    im[:, 1] = True  # spanning channel
    im[3, 2:5] = True  # dead-end branch attached to it (kept: same cluster)
    im[5:7, 6] = True  # isolated pore (dropped)
    mask = percolating_mask(im)
    assert percolates(im)
    assert mask[:, 1].all() and mask[3, 2:5].all()
    assert not mask[5:7, 6].any()


def test_corner_contacts_do_not_connect():
    stair = np.eye(6, dtype=bool) | np.eye(6, k=1, dtype=bool)  # face-connected staircase
    assert percolates(stair)
    diagonal = np.eye(6, dtype=bool)  # touches only at corners: no shared faces, no flux
    assert not percolates(diagonal)
    assert not percolating_mask(diagonal).any()


def test_cluster_touching_one_face_only_does_not_percolate():
    u = np.zeros((7, 7), bool)
    u[0:5, 1] = u[0:5, 5] = True
    u[4, 1:6] = True  # a U hanging from the top face
    assert not percolates(u)
    assert percolates(u, axis=1) is False  # touches neither side face across the full width
    u[4:, 3] = True  # now a stem reaches the bottom face
    assert percolates(u)


def test_axis_selects_the_faces():
    im = np.zeros((5, 9), bool)
    im[2, :] = True  # a horizontal channel
    assert not percolates(im, axis=0)
    assert percolates(im, axis=1)
    assert percolates(im, axis=-1)


def test_matches_porespy_trim_nonpercolating_paths(blob_images):
    ps = pytest.importorskip("porespy")
    rng = np.random.default_rng(0)
    images = list(blob_images[:4]) + [rng.random((30, 30)) < p for p in (0.55, 0.6, 0.65)]
    for im in images:
        ref = ps.filters.trim_nonpercolating_paths(im, axis=0)
        np.testing.assert_array_equal(percolating_mask(im), ref)


def test_binary_check_errors():
    with pytest.raises(DataError, match="binary"):
        percolates(np.full((3, 3), 0.5))
    with pytest.raises(ShapeError):
        percolates(np.zeros((2, 2, 2, 2)))
    with pytest.raises(ConfigError, match="axis"):
        percolates(np.ones((3, 3), bool), axis=3)


# ----------------------------------------------------------------------------- generation


def test_generation_is_reproducible_by_seed_and_resumable(tmp_path):
    pytest.importorskip("porespy")
    from matnn.data.microstructure.generate import GenerationSpec, generate_dataset

    spec = GenerationSpec(size=24, porosity=(0.5, 0.8))
    a = generate_dataset(12, spec=spec, seed=3, progress=False)
    b = generate_dataset(12, spec=spec, seed=3, progress=False)
    c = generate_dataset(12, spec=spec, seed=4, progress=False)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.tau, b.tau)
    assert not np.array_equal(a.images, c.images)
    assert all(percolates(im) for im in a.images)
    assert np.all(np.isfinite(a.tau)) and np.all(a.tau >= 1.0)
    np.testing.assert_allclose(a.d_eff, a.porosity / a.tau)
    assert a.profile.shape == (12, 24)
    # concentration falls from the inlet (c = 1) to the outlet (c = 0); slice means need not be monotone
    assert np.all((a.profile > 0) & (a.profile < 1)) and np.all(a.profile[:, 0] > a.profile[:, -1])
    # a run stopped after 6 images and resumed from its checkpoint gives the same data set
    ckpt = tmp_path / "ckpt.npz"
    generate_dataset(6, spec=spec, seed=3, progress=False, checkpoint=ckpt, checkpoint_every=2)
    resumed = generate_dataset(12, spec=spec, seed=3, progress=False, checkpoint=ckpt, checkpoint_every=2)
    np.testing.assert_array_equal(resumed.images, a.images)
    with pytest.raises(DataError, match="different settings"):
        generate_dataset(12, spec=spec, seed=5, progress=False, checkpoint=ckpt)


def test_generation_gives_up_clearly_when_nothing_percolates():
    pytest.importorskip("porespy")
    from matnn.data.microstructure.generate import GenerationSpec, generate_dataset

    with pytest.raises(DataError, match="percolated"):
        generate_dataset(
            3, spec=GenerationSpec(size=32, porosity=(0.1, 0.15)), seed=0, progress=False, max_candidates=10
        )
    with pytest.raises(ConfigError, match="porosity"):
        GenerationSpec(porosity=(0.6, 1.2))


# ----------------------------------------------------------------------------- data file


def _small_dataset(n: int = 4, size: int = 6) -> MicrostructureDataset:
    images = np.zeros((n, size, size), bool)
    images[:, :, ::2] = True
    return MicrostructureDataset.from_images(images, progress=False)


def test_dataset_roundtrip_and_from_images(tmp_path):
    ds = _small_dataset()
    np.testing.assert_allclose(ds.tau, 1.0)
    path = ds.save(tmp_path / "d.npz")
    back = MicrostructureDataset.load(path)
    np.testing.assert_array_equal(back.images, ds.images)
    np.testing.assert_allclose(back.profile, ds.profile)
    assert back.meta["source"] == "user images"
    assert len(back.subset(np.array([0, 2]))) == 2


def test_dataset_file_errors_name_the_problem(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        MicrostructureDataset.load(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a zip file")
    with pytest.raises(DataError, match="Cannot read"):
        MicrostructureDataset.load(bad)
    np.savez(tmp_path / "partial.npz", images=np.zeros((2, 4, 4), np.uint8), tau=np.ones(2))
    with pytest.raises(DataError, match="d_eff"):
        MicrostructureDataset.load(tmp_path / "partial.npz")
    ds = _small_dataset()
    np.savez(
        tmp_path / "short.npz",
        images=ds.images.astype(np.uint8),
        tau=ds.tau[:3],
        d_eff=ds.d_eff,
        porosity=ds.porosity,
        profile=ds.profile,
    )
    with pytest.raises(ShapeError, match=r"short\.npz"):
        MicrostructureDataset.load(tmp_path / "short.npz")
    np.savez(
        tmp_path / "grey.npz",
        images=np.full((4, 6, 6), 7, np.uint8),
        tau=ds.tau,
        d_eff=ds.d_eff,
        porosity=ds.porosity,
        profile=ds.profile,
    )
    with pytest.raises(DataError, match="only 0"):
        MicrostructureDataset.load(tmp_path / "grey.npz")
    blocked = np.zeros((1, 6, 6), bool)
    blocked[0, :, 0] = True
    blocked[0, 3, :] = False
    with pytest.raises(DataError, match="Image 0"):
        MicrostructureDataset.from_images(blocked, progress=False)
