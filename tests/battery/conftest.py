"""Small battery datasets built in code (no files needed)."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.data.battery import DEFAULT_VOLTAGE_GRID, BatteryDataset


def synthetic_curves(n_cells: int = 24, seed: int = 0) -> BatteryDataset:
    """Q(V) curves whose fade rate sets the cycle life (life ∝ rate^-1, a clean power law)."""
    rng = np.random.default_rng(seed)
    v = DEFAULT_VOLTAGE_GRID
    base = np.clip((3.35 - v) / 1.3, 0.0, 1.0) * 1.07  # Ah, plateau-like discharge
    rates = 10 ** rng.uniform(-5.0, -3.6, n_cells)  # Ah per cycle
    cycles = np.arange(2, 101)
    shape = np.sin(np.pi * np.clip((3.35 - v) / 1.3, 0, 1))  # fade concentrated mid-curve
    q = base[None, :, None] - rates[:, None, None] * (cycles[None, None, :] - 2) * shape[None, :, None]
    q = q + 2e-5 * rng.standard_normal(q.shape)
    life = 0.2 / rates**0.6 * 10 ** (0.02 * rng.standard_normal(n_cells))
    return BatteryDataset(q, life, v, cycles, source="synthetic test curves")


@pytest.fixture
def curves() -> BatteryDataset:
    return synthetic_curves()
