"""Small crystals shared by the crystal tests."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.data.crystals import Crystal, write_jsonl


def random_crystal(rng: np.random.Generator, n_atoms: int = 4, elements=(8, 14, 26, 29), a: float = 4.0) -> Crystal:
    cell = np.diag(rng.uniform(0.9, 1.1, 3) * a) + rng.normal(0, 0.3, (3, 3))
    frac = rng.uniform(0, 1, (n_atoms, 3))
    numbers = rng.choice(elements, n_atoms)
    return Crystal(numbers, frac @ cell, cell, id=f"r{rng.integers(1_000_000)}", targets={"y": float(rng.normal())})


def rotation_matrix(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def crystals(rng) -> list[Crystal]:
    return [random_crystal(rng, n_atoms=int(rng.integers(1, 7))) for _ in range(8)]


@pytest.fixture
def make_crystal():
    """``make_crystal(rng, n_atoms=4, elements=..., a=4.0)`` → a random triclinic Crystal."""
    return random_crystal


@pytest.fixture
def random_rotation():
    """``random_rotation(rng)`` → a proper rotation matrix (det +1)."""
    return rotation_matrix


@pytest.fixture
def structure_file(tmp_path, rng):
    """30 small random crystals with a learnable target ``zbar`` (mean atomic number / 10 + noise), as .jsonl.gz."""
    from matnn.core.exceptions import DataError

    crystals = []
    while len(crystals) < 30:  # the readers refuse atoms closer than 0.5 Å: draw again
        c = random_crystal(rng, n_atoms=int(rng.integers(2, 5)))
        try:
            crystals.append(c.validate())
        except DataError:
            continue
    for c in crystals:
        c.targets = {"zbar": float(c.numbers.mean() / 10 + rng.normal(0, 0.01))}
    return write_jsonl(tmp_path / "s.jsonl.gz", crystals)
