"""matnn: neural networks for materials and battery scientists.

A neural network is architecture + loss + optimizer.  matnn names those three ingredients in the
Keras vocabulary taught in class, trains them fast on PyTorch (CPU or CUDA), and applies them to
battery cycling data, compositions, microstructure images and crystal graphs.

>>> import matnn
>>> from matnn.layers import Dense
>>> model = matnn.Sequential([Dense(16, activation="relu", input_shape=(3,)), Dense(1)])
>>> model.compile(optimizer="adam", loss="mse")
"""

from __future__ import annotations

__version__ = "0.1.0"

from matnn import config  # noqa: E402
from matnn.config import get_device, set_device, set_flush_denormal, set_num_threads, set_seed  # noqa: E402
from matnn.core.exceptions import (  # noqa: E402
    ConfigError,
    DataError,
    DivergenceError,
    MatnnError,
    NotFittedError,
    ShapeError,
)
from matnn.core.registry import register_serializable  # noqa: E402

_LAZY = {
    # The model API is imported on first use so that `import matnn` stays light for the CLI.
    "Model": ("matnn.models.model", "Model"),
    "Sequential": ("matnn.models.sequential", "Sequential"),
    "Input": ("matnn.core.layers.input_layer", "Input"),
    "Functional": ("matnn.models.functional", "Functional"),
    "regularizers": ("matnn.regularizers", None),
    "load_model": ("matnn.models.saving", "load_model"),
    "layers": ("matnn.layers", None),
    "losses": ("matnn.losses", None),
    "metrics": ("matnn.metrics", None),
    "optimizers": ("matnn.optimizers", None),
    "callbacks": ("matnn.callbacks", None),
    "activations": ("matnn.activations", None),
    "wrappers": ("matnn.wrappers", None),
    "utils": ("matnn.utils", None),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        mod = importlib.import_module(module)
        value = getattr(mod, attr) if attr else mod
        globals()[name] = value
        return value
    raise AttributeError(f"module 'matnn' has no attribute {name!r}")


__all__ = [
    "__version__",
    "config",
    "set_num_threads",
    "set_flush_denormal",
    "set_seed",
    "set_device",
    "get_device",
    "MatnnError",
    "ConfigError",
    "DataError",
    "ShapeError",
    "NotFittedError",
    "DivergenceError",
    "register_serializable",
    *_LAZY,
]
