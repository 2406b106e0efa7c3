"""Detect loss spikes ("catapults") in a sequence of training losses.

A *catapult* (Lewkowycz et al. 2020) is a loss spike during which the curvature drops: with a learning
rate above 2/λ the loss first grows, the sharpness λ falls below 2/η, and the loss comes back down
and converges.  Here a spike **starts** at the first step whose loss exceeds ``rise`` × the lowest loss
seen since the previous spike, and it is **completed** (counted as a catapult) when the loss comes
back below that threshold.  A non-finite loss marks divergence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from matnn.core.exceptions import ConfigError

__all__ = ["Spike", "SpikeDetector", "find_spikes"]


@dataclass
class Spike:
    """One spike: ``start`` and ``end`` steps (``end`` None while it lasts), the loss before it and its peak."""

    start: int
    baseline: float
    peak: float
    peak_step: int
    end: int | None = None

    @property
    def height(self) -> float:
        """Peak loss / baseline loss."""
        return self.peak / self.baseline if self.baseline > 0 else math.inf


@dataclass
class SpikeDetector:
    """Streaming spike detector: feed losses with :meth:`update`.

    Parameters
    ----------
    rise : float, default=2.0
        A spike starts when the loss exceeds ``rise`` × the running minimum since the last spike.
    floor : float, default=0.0
        Losses are compared with ``max(running minimum, floor)``, so round-off wiggles of an already
        converged loss (1e-10 → 3e-10) are not counted; set it to the loss level you call "fitted".

    Examples
    --------
    >>> det = SpikeDetector(rise=2.0)
    >>> [det.update(v) for v in [1.0, 0.5, 0.4, 3.0, 9.0, 1.0, 0.3, 0.2]]
    [None, None, None, 'spike', None, None, 'catapult', None]
    >>> det.n_catapults, det.spikes[0].peak
    (1, 9.0)
    """

    rise: float = 2.0
    floor: float = 0.0
    spikes: list[Spike] = field(default_factory=list)
    diverged: bool = False
    _step: int = -1
    _low: float = math.inf

    def __post_init__(self) -> None:
        if not self.rise > 1.0:
            raise ConfigError(f"The 'rise' factor of SpikeDetector must be > 1; got {self.rise!r}.")

    @property
    def in_spike(self) -> bool:
        return bool(self.spikes) and self.spikes[-1].end is None

    @property
    def n_catapults(self) -> int:
        """Completed spikes (rise and return)."""
        return sum(1 for s in self.spikes if s.end is not None)

    def update(self, loss: float) -> str | None:
        """Register the next loss; returns ``"spike"``, ``"catapult"`` (spike completed), ``"diverged"`` or None."""
        self._step += 1
        loss = float(loss)
        if not math.isfinite(loss):
            if not self.diverged:
                self.diverged = True
                return "diverged"
            return None
        if self.in_spike:
            s = self.spikes[-1]
            if loss > s.peak:
                s.peak, s.peak_step = loss, self._step
            if loss < self.rise * s.baseline:
                s.end = self._step
                self._low = loss
                return "catapult"
            return None
        if loss > self.rise * max(self._low, self.floor):
            self.spikes.append(
                Spike(start=self._step, baseline=max(self._low, self.floor), peak=loss, peak_step=self._step)
            )
            return "spike"
        self._low = min(self._low, loss)
        return None


def find_spikes(losses: Iterable[float], *, rise: float = 2.0, floor: float = 0.0) -> SpikeDetector:
    """Run :class:`SpikeDetector` over a whole loss sequence and return it (``.spikes``, ``.n_catapults``)."""
    det = SpikeDetector(rise=rise, floor=floor)
    for v in losses:
        det.update(v)
    return det
