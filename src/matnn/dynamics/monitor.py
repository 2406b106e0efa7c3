"""``DynamicsMonitor``: a ``fit`` callback that tracks curvature against 2/η and flags catapults live.

Gradient descent with learning rate η is stable near a minimum only while the loss Hessian's top
eigenvalue (the *sharpness*) stays below 2/η.  Training with a large learning rate often sits right at
that "edge of stability" (Cohen et al. 2021), and when the sharpness overshoots, the loss spikes and
comes back down while the sharpness drops: a catapult (Lewkowycz et al. 2020).  The monitor measures
the sharpness on a fixed probe batch every ``every`` epochs (Lanczos on Hessian-vector products of the
compiled loss) and feeds every epoch's loss to a :class:`~matnn.dynamics.spikes.SpikeDetector`.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import torch

from matnn.core.callbacks import Callback
from matnn.core.exceptions import ConfigError
from matnn.dynamics._functional import as_tensor
from matnn.dynamics.hessian import loss_hessian_eigenvalues
from matnn.dynamics.ntk import ntk_spectrum
from matnn.dynamics.spikes import SpikeDetector

__all__ = ["DynamicsMonitor"]

_QUANTITIES = ("sharpness", "ntk")


class DynamicsMonitor(Callback):
    """Log λmax against the stability threshold 2/η and flag loss spikes (catapults) during ``fit``.

    Parameters
    ----------
    x, y : array-like, optional
        Probe batch on which λmax is measured (first ``probe_size`` rows are used).  Without ``x`` the
        monitor only detects spikes.
    quantity : {"sharpness", "ntk"}, default="sharpness"
        ``"sharpness"``: top eigenvalue of the Hessian of the compiled loss (without weight
        penalties) on the probe batch, compared with 2/η (with SGD momentum β, (2 + 2β)/η).
        ``"ntk"``: λmax(K/n) of the empirical NTK on the probe inputs, compared with 2/η — the
        threshold for ½-MSE; for matnn's ``"mse"`` (no ½, mean over outputs) the threshold is
        ``n_outputs``/η (see :func:`matnn.dynamics.critical_learning_rate`).
    every : int, default=1
        Measure λmax every ``every`` epochs (each measurement costs ~20-40 Hessian-vector products).
    probe_size : int, default=256
    rise : float, default=2.0
        Spike threshold: loss above ``rise`` × its running minimum (:class:`SpikeDetector`).
    floor : float, default=0.0
        Losses below ``floor`` count as fitted (no spikes among round-off wiggles).
    per_batch : bool, default=False
        Feed every batch loss to the detector (forces a host sync per batch; meant for full-batch GD
        or small data).  Default: one loss per epoch.
    verbose : bool, default=True
        Print a line when a spike starts, when it completes (catapult) and when λmax crosses 2/η.
    seed : int, default=0
        Lanczos start vector.

    Attributes
    ----------
    history : dict of str to list
        ``epoch``, ``lambda_max``, ``threshold`` (one entry per measurement) and ``loss`` per epoch.
    events : list of (int, str)
        ``(epoch, "spike" | "catapult" | "diverged" | "above_threshold" | "below_threshold")``.
    detector : SpikeDetector

    Examples
    --------
    >>> monitor = DynamicsMonitor(x_train[:256], y_train[:256], every=5)  # doctest: +SKIP
    >>> model.fit(x_train, y_train, epochs=200, callbacks=[monitor])      # doctest: +SKIP
    >>> monitor.detector.n_catapults, monitor.history["lambda_max"][-1]    # doctest: +SKIP
    """

    def __init__(
        self,
        x: Any = None,
        y: Any = None,
        *,
        quantity: str = "sharpness",
        every: int = 1,
        probe_size: int = 256,
        rise: float = 2.0,
        floor: float = 0.0,
        per_batch: bool = False,
        verbose: bool = True,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if quantity not in _QUANTITIES:
            raise ConfigError(
                f"The 'quantity' of DynamicsMonitor must be one of {', '.join(_QUANTITIES)}; got {quantity!r}."
            )
        if not isinstance(every, int) or every < 1:
            raise ConfigError(f"The 'every' parameter of DynamicsMonitor must be a positive integer; got {every!r}.")
        if quantity == "sharpness" and x is not None and y is None:
            raise ConfigError("DynamicsMonitor(quantity='sharpness') needs probe targets y as well as x.")
        self.x, self.y = x, y
        self.quantity, self.every, self.probe_size = quantity, every, probe_size
        self.per_batch, self.verbose, self.seed = per_batch, verbose, seed
        self.detector = SpikeDetector(rise=rise, floor=floor)
        self.history: dict[str, list[float]] = {"epoch": [], "lambda_max": [], "threshold": [], "loss": []}
        self.events: list[tuple[int, str]] = []
        self._above = False
        self._epoch = 0

    # The batch hook is only overridden in effect when per_batch is on (it forces a host sync).
    @property
    def uses_batch_hooks(self) -> bool:
        return self.per_batch

    def _say(self, msg: str) -> None:
        if self.verbose:
            print(f"[DynamicsMonitor] {msg}", flush=True)

    def _feed(self, loss: float) -> None:
        event = self.detector.update(loss)
        if event is None:
            return
        self.events.append((self._epoch, event))
        if event == "spike":
            s = self.detector.spikes[-1]
            self._say(
                f"epoch {self._epoch + 1}: loss spike starts ({loss:.4g} > {self.detector.rise:g} x {s.baseline:.4g})"
            )
        elif event == "catapult":
            s = self.detector.spikes[-1]
            self._say(
                f"epoch {self._epoch + 1}: catapult completed (peak {s.peak:.4g}, {s.height:.3g}x the loss before it)"
            )
        else:
            self._say(f"epoch {self._epoch + 1}: loss is not finite")

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self.x is not None and self.model is not None:
            if self.quantity == "sharpness" and isinstance(getattr(self.model, "loss", None), (list, dict)):
                raise ConfigError(
                    "DynamicsMonitor(quantity='sharpness') needs a model compiled with a single loss; "
                    "this one has one loss per output. Use quantity='ntk' instead."
                )
            self._xp = as_tensor(self.x, self.model, "x")[: self.probe_size]
            self._yp = as_tensor(self.y, self.model, "y")[: self.probe_size] if self.y is not None else None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.per_batch and logs and "loss" in logs:
            self._feed(float(logs["loss"]))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch
        logs = logs or {}
        if "loss" in logs:
            self.history["loss"].append(float(logs["loss"]))
            if not self.per_batch:
                self._feed(float(logs["loss"]))
        if self.x is None or self.model is None or epoch % self.every:
            return
        lam = self.measure()
        thr = self.threshold(logs.get("lr"))
        self.history["epoch"].append(epoch)
        self.history["lambda_max"].append(lam)
        self.history["threshold"].append(thr)
        above = lam > thr
        if above != self._above:
            kind = "above_threshold" if above else "below_threshold"
            self.events.append((epoch, kind))
            self._say(f"epoch {epoch + 1}: λmax = {lam:.4g} is now {'above' if above else 'below'} 2/η = {thr:.4g}")
            self._above = above

    def measure(self) -> float:
        """λmax on the probe batch at the model's current weights."""
        model = self.model
        if self.quantity == "ntk":
            return ntk_spectrum(model, self._xp).lambda_max

        def loss(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
            return (
                model.loss(y_true, y_pred)
                if getattr(model, "loss", None) is not None
                else 0.5 * (y_pred - y_true).pow(2).mean()
            )

        return loss_hessian_eigenvalues(model, self._xp, self._yp, loss=loss, which="LA", seed=self.seed).top

    def threshold(self, lr: float | None = None) -> float:
        """2/η for the optimizer's current learning rate ((2 + 2β)/η with SGD momentum β)."""
        opt = getattr(self.model, "optimizer", None)
        if lr is None:
            lr = getattr(opt, "learning_rate", None)
        if lr is None or not lr > 0:
            return math.nan
        beta = float(getattr(opt, "momentum", 0.0) or 0.0)
        return (2.0 + 2.0 * beta) / float(lr)

    def get_state(self) -> dict[str, Any]:
        return {"history": self.history, "events": self.events}

    def set_state(self, state: dict[str, Any]) -> None:
        self.history = {k: list(v) for k, v in state.get("history", self.history).items()}
        self.events = [tuple(e) for e in state.get("events", [])]  # type: ignore[misc]
        for loss in self.history.get("loss", []):
            self.detector.update(loss)

    def plot(self, path: str | os.PathLike) -> os.PathLike:
        """Loss per epoch, and λmax against 2/η, with spikes marked; saved as PNG."""
        from matnn.utils.plotting import plt, save_figure

        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        loss = np.asarray(self.history["loss"], dtype=float)
        axes[0].semilogy(np.arange(1, len(loss) + 1), loss)
        for s in self.detector.spikes:
            axes[0].axvspan(s.start + 1, (s.end if s.end is not None else len(loss)) + 1, color="C3", alpha=0.2)
        axes[0].set(
            xlabel="epoch", ylabel="training loss", title=f"loss ({self.detector.n_catapults} catapults shaded)"
        )
        if self.history["lambda_max"]:
            ep = np.asarray(self.history["epoch"]) + 1
            axes[1].plot(
                ep,
                self.history["lambda_max"],
                "o-",
                ms=3,
                label="λmax" if self.quantity == "sharpness" else "λmax(K/n)",
            )
            axes[1].plot(ep, self.history["threshold"], "k--", label="2/η")
            axes[1].legend()
        axes[1].set(xlabel="epoch", ylabel="eigenvalue", title="curvature vs stability threshold")
        fig.tight_layout()
        return save_figure(fig, path)
