"""Training-dynamics tools for any matnn or torch model.

Neural tangent kernel (:func:`empirical_ntk`, :func:`ntk_spectrum`, :func:`critical_learning_rate`),
Hessians of the loss and of the model output (:func:`loss_hessian_eigenvalues`,
:func:`model_hessian_eigenvalues`, :func:`model_hessian_norm`, :func:`loss_hessian_trace`), the
average gradient outer product (:func:`agop`, :func:`agop_alignment`), linearised and quadratic
models (:class:`LinearizedModel`, :class:`QuadraticModel`), per-subset gradients
(:func:`gradient_decomposition`), loss-spike detection (:class:`SpikeDetector`) and the
:class:`DynamicsMonitor` callback for ``fit``.  The reproductions of published results are in
:mod:`matnn.dynamics.reproductions` (``matnn dynamics <name> --out DIR``).
"""

from __future__ import annotations

from matnn.dynamics.agop import agop, agop_alignment, function_agop
from matnn.dynamics.gradients import GradientDecomposition, gradient_decomposition
from matnn.dynamics.hessian import (
    dense_hessian,
    loss_hessian_eigenvalues,
    loss_hessian_trace,
    loss_hvp,
    model_hessian_eigenvalues,
    model_hessian_norm,
    model_hvp,
)
from matnn.dynamics.linalg import SpectrumEstimate, hutchinson_trace, lanczos, power_iteration
from matnn.dynamics.networks import NTKNetwork, RandomDAGNetwork
from matnn.dynamics.ntk import (
    NTKSpectrum,
    critical_learning_rate,
    empirical_ntk,
    jacobian,
    ntk_spectrum,
    ntk_vector_product,
)
from matnn.dynamics.spikes import Spike, SpikeDetector, find_spikes
from matnn.dynamics.taylor import LinearizedModel, QuadraticModel, TaylorModel

__all__ = [
    "empirical_ntk",
    "jacobian",
    "ntk_vector_product",
    "ntk_spectrum",
    "NTKSpectrum",
    "critical_learning_rate",
    "loss_hvp",
    "model_hvp",
    "loss_hessian_eigenvalues",
    "model_hessian_eigenvalues",
    "model_hessian_norm",
    "loss_hessian_trace",
    "dense_hessian",
    "lanczos",
    "power_iteration",
    "hutchinson_trace",
    "SpectrumEstimate",
    "agop",
    "agop_alignment",
    "function_agop",
    "LinearizedModel",
    "QuadraticModel",
    "TaylorModel",
    "gradient_decomposition",
    "GradientDecomposition",
    "SpikeDetector",
    "Spike",
    "find_spikes",
    "NTKNetwork",
    "RandomDAGNetwork",
    "DynamicsMonitor",
]


def __getattr__(name: str):
    # The monitor subclasses matnn.callbacks.Callback, which imports the core training stack: load lazily.
    if name == "DynamicsMonitor":
        from matnn.dynamics.monitor import DynamicsMonitor

        return DynamicsMonitor
    raise AttributeError(f"module 'matnn.dynamics' has no attribute {name!r}")
