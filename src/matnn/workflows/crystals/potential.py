"""Fit an interatomic potential from scratch and check it: EMT data → GraphPotential or MACE → MD energy drift.

prepare (generate EMT-labelled rattled/strained/vacancy/MD configurations of an alloy, or read
a user's file with energies and forces) → split (whole MD runs stay on one side) → train on
energies and forces together → analyse (energy and force errors on held-out structures, parity
plots, and a constant-energy MD run with the learned potential whose total energy must not drift).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import DataError
from matnn.core.validation import positive, validate
from matnn.models.crystals.registry import ModelSpec, crystal_model

__all__ = ["PotentialRun", "build_potential", "evaluate_potential", "md_energy_drift", "train_potential"]


@dataclass
class PotentialRun:
    """What :func:`train_potential` returns: flat ``metrics``, the ``model``, ``history`` and MD ``trace``."""

    metrics: dict[str, Any]
    model: Any
    history: dict[str, list[float]] = field(default_factory=dict)
    md_trace: dict[str, np.ndarray] = field(default_factory=dict)


def evaluate_potential(model: Any, dataset: Any, *, batch_size: int = 16, device: Any = None) -> dict[str, np.ndarray]:
    """Predicted and reference energies per atom (eV/atom), forces (eV/Å) and stress (eV/Å³).

    Returns a dict with ``e_true``, ``e_pred`` (n_structures,), ``f_true``, ``f_pred``
    (n_atoms_total, 3) and, when the data have it, ``s_true``, ``s_pred`` (n_structures, 3, 3).
    """
    import torch

    from matnn.config import resolve_device
    from matnn.data.crystals.batch import collate_graphs

    dev = resolve_device(device) if device is not None else next(model.parameters()).device
    model.to(dev).eval()
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=collate_graphs)
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("e_true", "e_pred", "f_true", "f_pred", "s_true", "s_pred")}
    for x, y in loader:
        x = x.to(dev)
        with_stress = "stress" in y
        pred = model.energy_forces(x, stress=with_stress)
        n = x.n_atoms.cpu().numpy()
        out["e_pred"].append(pred["energy"].detach().cpu().numpy() / n)
        out["e_true"].append(y["energy"].numpy() / n)
        out["f_pred"].append(pred["forces"].detach().cpu().numpy())
        out["f_true"].append(y["forces"].numpy())
        if with_stress:
            out["s_pred"].append(pred["stress"].detach().cpu().numpy())
            out["s_true"].append(y["stress"].numpy())
    return {k: np.concatenate(v) for k, v in out.items() if v}


def md_energy_drift(
    atoms: Any,
    calculator: Any,
    *,
    steps: int = 500,
    timestep_fs: float = 2.0,
    temperature_K: float = 300.0,
    seed: int = 0,
) -> dict[str, np.ndarray | float]:
    """Run NVE (velocity Verlet) MD and measure how the total energy drifts.

    Velocities start from a seeded Maxwell–Boltzmann distribution at ``temperature_K`` (zero total
    momentum).  Returns ``time_ps``, ``e_pot``, ``e_kin``, ``e_tot`` (eV/atom, per step) and
    ``drift_mev_atom_ps`` (slope of a straight-line fit of ``e_tot`` against time, meV/atom/ps),
    ``fluct_mev_atom`` (standard deviation of ``e_tot`` about that line) and ``temperature_K``
    (mean kinetic temperature).
    """
    from ase import units
    from ase.md.velocitydistribution import Stationary
    from ase.md.verlet import VelocityVerlet

    from matnn.data.crystals.emt import thermalize

    atoms = atoms.copy()
    atoms.calc = calculator
    thermalize(atoms, temperature_K, np.random.default_rng(seed))
    Stationary(atoms)
    n = len(atoms)
    e_pot, e_kin, temps = [], [], []

    def record() -> None:
        e_pot.append(atoms.get_potential_energy() / n)
        e_kin.append(atoms.get_kinetic_energy() / n)
        temps.append(atoms.get_temperature())

    dyn = VelocityVerlet(atoms, timestep_fs * units.fs)
    dyn.attach(record, interval=1)
    record()
    dyn.run(steps)
    e_pot_a, e_kin_a = np.array(e_pot[1:]), np.array(e_kin[1:])  # attach also fires at step 0
    e_tot = e_pot_a + e_kin_a
    t_ps = np.arange(len(e_tot)) * timestep_fs / 1000.0
    slope, icpt = np.polyfit(t_ps, e_tot, 1)
    return {
        "time_ps": t_ps,
        "e_pot": e_pot_a,
        "e_kin": e_kin_a,
        "e_tot": e_tot,
        "drift_mev_atom_ps": float(slope * 1000.0),
        "fluct_mev_atom": float(np.std(e_tot - (slope * t_ps + icpt)) * 1000.0),
        "temperature_K": float(np.mean(temps[1:])),
        "final_atoms": atoms,
    }


def build_potential(name: str, crystals: Sequence[Any], store: Any, train_indices: np.ndarray, **kwargs: Any) -> Any:
    """A fresh ``"potential"`` model of :data:`~matnn.models.crystals.registry.CRYSTAL_MODELS` for these data.

    ``'schnet'`` → :class:`~matnn.models.crystals.GraphPotential`; ``'mace'`` →
    :class:`~matnn.models.crystals.MACEPotential`, which needs the elements up front (all those in
    ``crystals``) and a typical neighbour count: the mean edges per atom of the training graphs in
    ``store`` (built with the model's cutoff). Each class's ``for_data`` takes what it needs.
    """
    cls = crystal_model(name, "potential").load()
    return cls.for_data([c.numbers for c in crystals], [store.graph(int(k)) for k in train_indices], **kwargs)


@dataclass
class _Data:
    """What :func:`_prepare` and :func:`_split` produce."""

    crystals: list[Any]
    elements: list[str] | None
    store: Any = None
    train: Any = None
    val: Any = None
    test: Any = None
    test_positions: np.ndarray | None = None
    data_time_s: float = float("nan")


def _prepare(system: str, data: Any, *, n_structures: int, supercell: int, seed: int, verbose: bool) -> _Data:
    """Generate EMT-labelled configurations of ``system`` (energies, forces, stress), or read ``data``."""
    from matnn.data.crystals.emt import generate_emt_dataset, parse_system
    from matnn.data.crystals.structures import read_structures

    t0 = time.perf_counter()
    if data is None:
        elements = parse_system(system)
        unit = max(1, n_structures // 18)
        n_md_runs = 4
        md_frames = max(1, (n_structures - 10 * unit) // n_md_runs)
        crystals = generate_emt_dataset(
            system,
            n_rattled=5 * unit,
            n_strained=3 * unit,
            n_vacancy=2 * unit + (n_structures - 10 * unit - n_md_runs * md_frames),
            n_md_runs=n_md_runs,
            md_frames=md_frames,
            supercell=supercell,
            seed=seed,
            verbose=verbose,
        )
    else:
        elements = None
        crystals = read_structures(data)
        missing = [k for k, c in enumerate(crystals) if c.energy is None or c.forces is None]
        if missing:
            raise DataError(
                f"{data}: structures {missing[:5]} have no energy or forces; a potential needs both for every structure."
            )
    prepared = _Data(crystals=crystals, elements=elements, data_time_s=time.perf_counter() - t0)
    if len(crystals) < 5:
        raise DataError(f"Only {len(crystals)} structures; a potential needs at least 5 (train/validation/test).")
    return prepared


def _split(prepared: _Data, graph_spec: Any, *, test_fraction: float, val_fraction: float, seed: int) -> None:
    """Build the graphs and split them: whole MD runs (EMT data) stay on one side of the test split."""
    from matnn.data.crystals.dataset import CrystalGraphDataset, build_store
    from matnn.data.crystals.emt import group_of
    from matnn.data.splits import group_holdout_split, holdout_split

    crystals = prepared.crystals
    if prepared.elements is not None:
        groups = [group_of(c.id or "") for c in crystals]
    else:
        groups = [str(k) for k in range(len(crystals))]
    store = build_store(crystals, graph_spec, verbose=False)
    train_pos, test_pos = group_holdout_split(groups, test_fraction, seed)
    inner_train, inner_val = holdout_split(len(train_pos), val_fraction, seed + 1)
    prepared.store = store
    prepared.train = CrystalGraphDataset(store, indices=train_pos[inner_train], potential=True)
    prepared.val = CrystalGraphDataset(store, indices=train_pos[inner_val], potential=True)
    prepared.test = CrystalGraphDataset(store, indices=test_pos, potential=True)
    prepared.test_positions = test_pos


def _build(
    spec: ModelSpec,
    prepared: _Data,
    model_kwargs: dict[str, Any],
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    force_weight: float,
    stress_weight: float,
) -> Any:
    """A fresh potential with element references fitted to the training energies, compiled with Adam + cosine."""
    from matnn.core.schedules import CosineDecay
    from matnn.optimizers import Adam

    store, train_set = prepared.store, prepared.train
    train_graphs = [store.graph(int(k)) for k in train_set.indices]
    net = spec.load().for_data(
        [c.numbers for c in prepared.crystals],
        train_graphs,
        force_weight=force_weight,
        stress_weight=stress_weight,
        **model_kwargs,
    )
    net.adapt(
        [g.numbers for g in train_graphs], store.energy[train_set.indices], forces=[g.forces for g in train_graphs]
    )
    total = epochs * -(-len(train_set) // batch_size)
    warm = max(1, int(0.05 * total))
    schedule = CosineDecay(
        learning_rate * 0.01,
        decay_steps=max(1, total - warm),
        alpha=0.01,
        warmup_target=learning_rate,
        warmup_steps=warm,
    )
    net.compile(optimizer=Adam(learning_rate=schedule))
    return net


def _fit(
    net: Any, prepared: _Data, *, epochs: int, batch_size: int, out_dir: Path | None, verbose: bool, device: Any
) -> tuple[Any, Any, Any, float]:
    """Train on energies and forces, restoring the best validation epoch; returns ``(history, timer, best, seconds)``."""
    from matnn.callbacks import BackupAndRestore, CSVLogger, EarlyStopping
    from matnn.core.callbacks import EpochTimer
    from matnn.data.crystals.batch import collate_graphs

    timer = EpochTimer()
    best = EarlyStopping(monitor="val_loss", patience=epochs + 1, restore_best_weights=True)
    callbacks = [timer, best]
    if out_dir is not None:
        callbacks += [CSVLogger(out_dir / "history.csv"), BackupAndRestore(out_dir / "backup")]
    t1 = time.perf_counter()
    history = net.fit(
        prepared.train,
        batch_size=batch_size,
        epochs=epochs,
        collate_fn=collate_graphs,
        validation_data=prepared.val,
        validation_batch_size=32,
        callbacks=callbacks,
        verbose=2 if verbose else 0,
        device=device,
    )
    return history, timer, best, time.perf_counter() - t1


def _analyse_held_out(net: Any, prepared: _Data, *, device: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Energy, force (and stress) errors on the test structures, and on the validation ones.

    Returns ``(metrics, test_results)`` with ``test_results`` as :func:`evaluate_potential` gives them.
    """
    res = evaluate_potential(net, prepared.test, device=device)
    e_err = (res["e_pred"] - res["e_true"]) * 1000.0
    f_err = (res["f_pred"] - res["f_true"]) * 1000.0
    metrics: dict[str, Any] = {
        "energy_mae_mev_atom": float(np.abs(e_err).mean()),
        "energy_rmse_mev_atom": float(np.sqrt((e_err**2).mean())),
        "force_mae_mev_A": float(np.abs(f_err).mean()),
        "force_rmse_mev_A": float(np.sqrt((f_err**2).mean())),
    }
    if "s_pred" in res:
        metrics["stress_mae_mev_A3"] = float(np.abs(res["s_pred"] - res["s_true"]).mean() * 1000.0)
    # The validation part of the training data: what settings may be chosen on (never the test set).
    val = evaluate_potential(net, prepared.val, device=device)
    metrics["val_energy_mae_mev_atom"] = float(np.abs(val["e_pred"] - val["e_true"]).mean() * 1000.0)
    metrics["val_force_mae_mev_A"] = float(np.abs(val["f_pred"] - val["f_true"]).mean() * 1000.0)
    return metrics, res


def _analyse_md(
    net: Any,
    prepared: _Data,
    *,
    md_steps: int,
    md_timestep_fs: float,
    md_temperature_K: float,
    md_supercell: int,
    seed: int,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None, Any]:
    """NVE energy conservation with the learned potential (and, for EMT data, EMT itself from the same start).

    Returns ``(metrics, md_trace, emt_trace or None, md_atoms)``.
    """
    from matnn.data.crystals.emt import random_alloy
    from matnn.data.crystals.structures import to_ase
    from matnn.models.crystals.calculator import MatnnCalculator

    elements = prepared.elements
    rng = np.random.default_rng(seed + 7)
    if elements is not None:
        md_atoms = random_alloy(
            elements, rng, supercell=md_supercell, fractions=np.full(len(elements), 1.0 / len(elements))
        )
    else:
        md_atoms = to_ase(prepared.store.crystal(int(prepared.test_positions[0])))
    t2 = time.perf_counter()
    md = md_energy_drift(
        md_atoms,
        MatnnCalculator(net),
        steps=md_steps,
        timestep_fs=md_timestep_fs,
        temperature_K=md_temperature_K,
        seed=seed,
    )
    md_time = time.perf_counter() - t2
    metrics: dict[str, Any] = {
        "md_drift_mev_atom_ps": md["drift_mev_atom_ps"],
        "md_fluct_mev_atom": md["fluct_mev_atom"],
        "md_temperature_K": md["temperature_K"],
        "md_steps": md_steps,
        "md_time_ps": md_steps * md_timestep_fs / 1000.0,
        "md_atoms": len(md_atoms),
        "md_wall_s": md_time,
    }
    md_ref = None
    if elements is not None:
        from ase.calculators.emt import EMT

        md_ref = md_energy_drift(
            md_atoms, EMT(), steps=md_steps, timestep_fs=md_timestep_fs, temperature_K=md_temperature_K, seed=seed
        )
        metrics["md_drift_emt_mev_atom_ps"] = md_ref["drift_mev_atom_ps"]
        # How well does the potential transfer to a larger cell along its own trajectory?
        final = md["final_atoms"].copy()
        final.calc = EMT()
        ref_e, ref_f = final.get_potential_energy() / len(final), final.get_forces()
        final.calc = MatnnCalculator(net)
        metrics["md_emt_energy_error_mev_atom"] = float(abs(final.get_potential_energy() / len(final) - ref_e) * 1000.0)
        metrics["md_emt_force_mae_mev_A"] = float(np.abs(final.get_forces() - ref_f).mean() * 1000.0)
    return metrics, md, md_ref, md_atoms


def _write_outputs(
    out_dir: Path,
    net: Any,
    metrics: dict[str, Any],
    hist: dict[str, list[float]],
    res: dict[str, np.ndarray],
    md: dict[str, Any],
    md_ref: dict[str, Any] | None,
    md_atoms: Any,
    *,
    md_timestep_fs: float,
    md_temperature_K: float,
) -> None:
    """``model.matnn``, the parity plots, ``learning_curves.png``, ``md_energy.png`` and ``metrics.json``."""
    from matnn.utils.io import write_metrics
    from matnn.utils.plotting import plot_learning_curves, plot_parity, plt, save_figure

    net.save(out_dir / "model.matnn")
    plot_parity(
        res["e_true"],
        res["e_pred"],
        out_dir / "parity_energy.png",
        label="energy [eV/atom]",
        title=f"Held-out energies: MAE {metrics['energy_mae_mev_atom']:.1f} meV/atom",
    )
    plot_parity(
        res["f_true"].ravel(),
        res["f_pred"].ravel(),
        out_dir / "parity_forces.png",
        label="force component [eV/Å]",
        title=f"Held-out forces: MAE {metrics['force_mae_mev_A']:.0f} meV/Å",
    )
    if hist.get("loss"):
        plot_learning_curves(
            {k: v for k, v in hist.items() if k in ("loss", "val_loss")},
            out_dir / "learning_curves.png",
            keys=["loss"],
            title=f"{type(net).__name__}: energy + force loss",
        )
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for trace, name, style in ((md, "learned potential", "-"), (md_ref, "EMT (reference)", "--")):
        if trace is None:
            continue
        e0 = trace["e_tot"][0]
        axes[0].plot(
            trace["time_ps"],
            (trace["e_tot"] - e0) * 1000.0,
            style,
            label=f"{name}: drift {trace['drift_mev_atom_ps']:+.1e} meV/atom/ps",
        )
        axes[1].plot(trace["time_ps"], trace["e_pot"] * 1000.0, style, label=f"{name} potential energy")
    axes[0].set_xlabel("time [ps]")
    axes[0].set_ylabel("total energy − initial [meV/atom]")
    axes[0].legend(fontsize=8)
    axes[1].set_xlabel("time [ps]")
    axes[1].set_ylabel("potential energy [meV/atom]")
    axes[1].legend(fontsize=8)
    fig.suptitle(f"NVE MD, {len(md_atoms)} atoms, {md_timestep_fs:g} fs steps, start {md_temperature_K:g} K")
    save_figure(fig, out_dir / "md_energy.png")
    write_metrics(out_dir, metrics)


def train_potential(
    system: str = "CuAu",
    *,
    data: str | os.PathLike | None = None,
    n_structures: int = 360,
    supercell: int = 2,
    epochs: int = 120,
    batch_size: int = 8,
    learning_rate: float | None = None,
    force_weight: float = 10.0,
    stress_weight: float = 100.0,
    test_fraction: float = 0.2,
    val_fraction: float = 0.1,
    md_steps: int = 500,
    md_timestep_fs: float = 2.0,
    md_temperature_K: float = 300.0,
    md_supercell: int = 3,
    model: str = "schnet",
    seed: int = 0,
    out: str | os.PathLike | None = None,
    device: Any = None,
    verbose: bool = True,
    model_kwargs: dict[str, Any] | None = None,
) -> PotentialRun:
    """Generate EMT data for ``system``, fit a potential (SchNet-style or MACE), test it, run MD.

    Parameters
    ----------
    system : str, default='CuAu'
        EMT elements to alloy (Al, Cu, Ag, Au, Ni, Pd, Pt), e.g. 'CuAu', 'NiPt', 'Cu'.
    data : path, optional
        Instead of generating EMT data, read labelled structures (``.extxyz``/``.traj`` with an
        energy and forces per frame, or ``.jsonl`` with ``energy``/``forces``); MD then starts from
        the first test structure and has no EMT reference.
    n_structures : int, default=360
        Generated configurations: 5/18 rattled, 3/18 strained, 2/18 with vacancies, 8/18 MD frames
        (4 runs at 300, 600, 900, 1200 K).
    supercell : int, default=2
        fcc conventional-cell repeats per direction for training data (2 → 32 atoms).
    epochs, batch_size, learning_rate
        Adam with a cosine schedule (5 % warm-up) peaking at ``learning_rate``; default: the model's
        ``learning_rate`` in :data:`~matnn.models.crystals.registry.CRYSTAL_MODELS` (its ``source`` says
        how it was chosen).
    force_weight, stress_weight : float, default=10, 100
        Loss weights relative to the energy-per-atom MSE (see :class:`GraphPotential`); stress is
        used only when every structure has one (EMT data do). On CuAu validation data (seed 1),
        stress weight 0 / 100 / 1000 gave energy MAE 18.4 / 2.7 / 3.1 meV/atom and force MAE
        14.5 / 11.3 / 12.2 meV/Å: stress pins down how energy changes with volume and shape,
        which forces alone do not.
    md_steps, md_timestep_fs, md_temperature_K, md_supercell
        The NVE drift check: a fresh random alloy of ``md_supercell``³ conventional cells
        (3 → 108 atoms) at that temperature, with the learned potential and (for reference) EMT.
    model : str, default='schnet'
        A ``"potential"`` model of the registry: ``'schnet'``,
        :class:`~matnn.models.crystals.GraphPotential` (matnn's SchNet-style network) or ``'mace'``,
        :class:`~matnn.models.crystals.MACEPotential` (needs ``mace-torch``; built for the elements of
        the data, its message normalisation set to the mean neighbours per atom of the training graphs).
    model_kwargs : dict, optional
        Passed to the model's constructor (e.g. ``dim``, ``cutoff``; for MACE ``channels``, ``max_L``).
    seed : int
    out : path, optional
        ``metrics.json``, ``model.matnn``, ``data.jsonl.gz``, ``parity_energy.png``,
        ``parity_forces.png``, ``md_energy.png``, ``learning_curves.png``, ``history.csv``.

    Returns
    -------
    PotentialRun
        ``metrics``: ``energy_mae_mev_atom``, ``energy_rmse_mev_atom``, ``force_mae_mev_A``,
        ``force_rmse_mev_A`` (held-out structures), ``stress_mae_mev_A3`` (if the data have stress),
        ``val_energy_mae_mev_atom``, ``val_force_mae_mev_A`` (validation part of the training data),
        ``md_drift_mev_atom_ps`` (learned potential), ``md_drift_emt_mev_atom_ps`` (EMT itself, same
        start), ``md_fluct_mev_atom``, ``md_emt_energy_error_mev_atom`` and ``md_emt_force_mae_mev_A``
        (learned potential against EMT on the last frame of its own MD run), ``n_train``, ``n_val``,
        ``n_test``, ``epochs``, ``epoch_time_s``, ``train_time_s``, ``hardware``.
    """
    import matnn
    from matnn.config import resolve_device
    from matnn.data.crystals.structures import write_jsonl
    from matnn.utils.io import ensure_dir
    from matnn.workflows.crystals._common import hardware

    spec = crystal_model(model, "potential")
    if learning_rate is None:
        learning_rate = spec.default("learning_rate")
    validate(
        "train_potential",
        {
            "epochs": epochs,
            "batch_size": batch_size,
            "n_structures": n_structures,
            "md_steps": md_steps,
            "supercell": supercell,
            "md_supercell": md_supercell,
        },
        dict.fromkeys(("epochs", "batch_size", "n_structures", "md_steps", "supercell", "md_supercell"), positive(int)),
    )
    matnn.set_seed(seed)
    dev = resolve_device(device if device is not None else "auto")
    out_dir = ensure_dir(out) if out is not None else None
    model_kwargs = dict(model_kwargs or {})

    # ---------------------------------------------------------------- prepare and split
    prepared = _prepare(system, data, n_structures=n_structures, supercell=supercell, seed=seed, verbose=verbose)
    _split(
        prepared,
        spec.load().graph_spec_for(**model_kwargs),
        test_fraction=test_fraction,
        val_fraction=val_fraction,
        seed=seed,
    )
    if out_dir is not None and data is None:
        write_jsonl(out_dir / "data.jsonl.gz", prepared.crystals)

    # ---------------------------------------------------------------- build and fit
    net = _build(
        spec,
        prepared,
        model_kwargs,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        force_weight=force_weight,
        stress_weight=stress_weight,
    )
    history, timer, best, train_time = _fit(
        net, prepared, epochs=epochs, batch_size=batch_size, out_dir=out_dir, verbose=verbose, device=dev
    )

    # ---------------------------------------------------------------- analyse: held-out structures, MD
    metrics, res = _analyse_held_out(net, prepared, device=dev)
    md_metrics, md, md_ref, md_atoms = _analyse_md(
        net,
        prepared,
        md_steps=md_steps,
        md_timestep_fs=md_timestep_fs,
        md_temperature_K=md_temperature_K,
        md_supercell=md_supercell,
        seed=seed,
    )
    metrics.update(md_metrics)
    hist = {k: list(v) for k, v in history.history.items()}
    elements = prepared.elements
    metrics.update(
        {
            "model": spec.name,
            "learning_rate": float(learning_rate),
            "system": "".join(elements) if elements is not None else str(data),
            "n_structures": len(prepared.crystals),
            "n_train": len(prepared.train),
            "n_val": len(prepared.val),
            "n_test": len(prepared.test),
            "n_test_atoms": len(res["f_true"]),
            "epochs": len(hist.get("loss", [])),
            "best_epoch": int(best.best_epoch) + 1,
            "epoch_time_s": float(np.median(timer.times)) if timer.times else float("nan"),
            "train_time_s": train_time,
            "data_time_s": prepared.data_time_s,
            "n_params": int(net.count_params()),
            "device": str(dev),
            "hardware": hardware(dev),
            "seed": seed,
        }
    )
    if out_dir is not None:
        _write_outputs(
            out_dir,
            net,
            metrics,
            hist,
            res,
            md,
            md_ref,
            md_atoms,
            md_timestep_fs=md_timestep_fs,
            md_temperature_K=md_temperature_K,
        )
    trace = {k: v for k, v in md.items() if isinstance(v, np.ndarray)}
    return PotentialRun(metrics=metrics, model=net, history=hist, md_trace=trace)
