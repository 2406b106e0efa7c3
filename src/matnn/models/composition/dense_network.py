"""A configurable fully connected network for any table of numbers (the first Keras exercise).

``build_dense_network(n_features, hidden=(128, 64))`` is ``Dense(128) → Dense(64) → Dense(1)``
with the chosen activation and optional dropout/batch normalisation after each hidden layer.
"""

from __future__ import annotations

from collections.abc import Sequence

from matnn.core.exceptions import ConfigError

__all__ = ["build_dense_network", "parse_hidden"]


def parse_hidden(text: str | Sequence[int]) -> tuple[int, ...]:
    """``"256,128,64"`` or ``[256, 128, 64]`` → ``(256, 128, 64)``; ``""`` → ``()`` (linear model)."""
    if isinstance(text, str):
        parts = [p.strip() for p in text.replace("x", ",").split(",") if p.strip()]
        try:
            units = tuple(int(p) for p in parts)
        except ValueError:
            raise ConfigError(
                f"hidden layer sizes must be comma-separated positive integers, e.g. '256,128'. Got {text!r}."
            ) from None
    else:
        units = tuple(int(u) for u in text)
    if any(u < 1 for u in units):
        raise ConfigError(f"hidden layer sizes must be positive integers. Got {text!r}.")
    return units


def build_dense_network(
    n_features: int,
    hidden: Sequence[int] | str = (128, 64),
    *,
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
    n_outputs: int = 1,
    monte_carlo_dropout: bool = False,
):
    """Multilayer perceptron as a :class:`matnn.Sequential`.

    Parameters
    ----------
    n_features : int
        Input width.
    hidden : sequence of int or str, default=(128, 64)
        Units of each hidden layer (``"128,64"`` accepted).
    activation : str, default='relu'
    dropout : float, default=0.0
        Drop rate after every hidden layer (0 = none).
    batch_norm : bool, default=False
        Batch normalisation after every hidden layer (before its activation).
    n_outputs : int, default=1
    monte_carlo_dropout : bool, default=False
        Keep dropout active at inference (see :func:`matnn.models.predict_monte_carlo`).

    Returns
    -------
    matnn.Sequential
        (n_samples, n_features) → (n_samples, n_outputs); uncompiled.
    """
    import matnn
    from matnn.layers import Activation, BatchNormalization, Dense, Dropout

    units = parse_hidden(hidden)
    if not 0.0 <= float(dropout) < 1.0:
        raise ConfigError(f"dropout must be in [0, 1). Got {dropout!r} instead.")
    if int(n_features) < 1:
        raise ConfigError(f"n_features must be a positive integer. Got {n_features!r} instead.")
    layers = []
    shape = {"input_shape": (int(n_features),)}
    for u in units:
        if batch_norm:
            layers += [Dense(u, **shape), BatchNormalization(), Activation(activation)]
        else:
            layers.append(Dense(u, activation=activation, **shape))
        shape = {}
        if dropout > 0:
            layers.append(Dropout(float(dropout), monte_carlo=monte_carlo_dropout))
    layers.append(Dense(int(n_outputs), **shape))
    return matnn.Sequential(layers)
