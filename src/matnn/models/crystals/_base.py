"""What the crystal-property networks (CGCNN, MEGNet) share: atom tables, target scaling, graph spec."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from matnn.core.exceptions import ConfigError, DataError, unknown_name
from matnn.data.crystals.features import atom_feature_table
from matnn.data.crystals.graph import GraphSpec
from matnn.models.model import Model

__all__ = ["GraphPropertyModel"]


def _positive_int(owner: str, name: str, value: object) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"The '{name}' parameter of {owner} must be a positive integer. Got {value!r} instead.")
    return int(value)


def constructor_options(cls: type) -> dict[str, Any]:
    """The keyword arguments of ``cls.__init__`` (except ``self``) with their defaults
    (``inspect.Parameter.empty`` where there is none)."""
    params = inspect.signature(cls.__init__).parameters
    return {
        name: p.default
        for name, p in params.items()
        if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


class GraphPropertyModel(Model):
    """Base for networks that map a crystal graph to ``n_targets`` numbers.

    Holds the atom feature table (buffer ``atom_table``), the target scaler (buffers
    ``target_mean_``/``target_std_``: the network predicts standardised values and the output is
    returned in the target's units) and the graph settings the model was trained with
    (:attr:`graph_spec`), so predicting on new structures builds the same graphs.
    """

    def _init_common(
        self,
        *,
        n_targets: int,
        atom_features: str,
        cutoff: float,
        max_neighbors: int | None,
        target_mean: float | Sequence[float],
        target_std: float | Sequence[float],
    ) -> int:
        owner = type(self).__name__
        _positive_int(owner, "n_targets", n_targets)
        if not (isinstance(cutoff, (int, float)) and cutoff > 0):
            raise ConfigError(
                f"The 'cutoff' parameter of {owner} must be a float in (0, inf) Å. Got {cutoff!r} instead."
            )
        if max_neighbors is not None:
            _positive_int(owner, "max_neighbors", max_neighbors)
        table = torch.from_numpy(atom_feature_table(atom_features))
        self.register_buffer("atom_table", table)
        mean = torch.as_tensor(target_mean, dtype=torch.float32).reshape(-1).expand(n_targets).clone()
        std = torch.as_tensor(target_std, dtype=torch.float32).reshape(-1).expand(n_targets).clone()
        self.register_buffer("target_mean_", mean)
        self.register_buffer("target_std_", std)
        return int(table.shape[1])

    @property
    def graph_spec(self) -> GraphSpec:
        """How input graphs must be built (cutoff in Å, neighbour cap)."""
        return GraphSpec(cutoff=float(self.cutoff), max_neighbors=self.max_neighbors)

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        """Refuse constructor options ``cls`` does not have (``n_targets`` is set by the caller)."""
        allowed = [name for name in constructor_options(cls) if name != "n_targets"]
        for option in options:
            if option not in allowed:
                raise unknown_name(f"{cls.__name__.lower()} model option", option, allowed)

    @classmethod
    def graph_spec_for(cls, **options: Any) -> GraphSpec:
        """The :attr:`graph_spec` of a model built with ``options``, without building one."""
        settings = {**constructor_options(cls), **options}
        return GraphSpec(cutoff=float(settings["cutoff"]), max_neighbors=settings["max_neighbors"])

    def adapt(self, y: np.ndarray | torch.Tensor) -> GraphPropertyModel:
        """Set the output scaling from training targets ``y`` of shape (n_samples, n_targets).

        Call before ``fit``: the last layer then starts out predicting the mean, with unit-variance
        residuals, which makes the learning rate meaningful whatever the target's unit.
        """
        y = torch.as_tensor(np.asarray(y, dtype=np.float32)).reshape(len(y), -1)
        if y.shape[1] != self.target_mean_.numel():
            raise DataError(
                f"adapt() got targets with {y.shape[1]} columns; the model has n_targets={self.target_mean_.numel()}."
            )
        if not torch.isfinite(y).all():
            raise DataError("adapt() got NaN or infinite targets; drop those rows first.")
        self.target_mean_.copy_(y.mean(0))
        self.target_std_.copy_(y.std(0).clamp_min(1e-6) if len(y) > 1 else torch.ones_like(self.target_std_))
        return self

    def _unscale(self, out: torch.Tensor) -> torch.Tensor:
        return out * self.target_std_ + self.target_mean_
