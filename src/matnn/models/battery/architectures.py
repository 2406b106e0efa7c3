"""Convolutional networks that read early-cycle discharge curves and predict log10 cycle life.

Three architectures, all built from :mod:`matnn.layers` (channels-last):

``build_tutorial_cnn``
    The network of the Argonne tutorial (Paulson & Ward, MRS 2022, after Severson et al. 2019):
    the ΔQ_k(V) = Q_k(V) − Q_10(V) curves of cycles k = 20, 30, …, 100 form a one-channel image
    of shape (n_voltages, 9, 1); two Conv2D + MaxPooling2D blocks, a dense layer and one linear
    output (log10 cycle life), trained with MSE and Adam.  The published notebook applies its
    second convolution to the *input* (so the first block's output is discarded); here the second
    block takes the first block's output, as intended.

``build_dq_net`` (matnn's own design)
    A 1D CNN along voltage with the nine ΔQ_k curves as channels, plus a branch of scalar summary
    features (by default Severson's six "discharge" features and log10 |mean ΔQ|), standardised by
    ``Normalization`` layers adapted on the training cells and soft-clipped (:class:`SoftClip`).
    With ``residual=True`` (how :class:`matnn.models.battery.networks.NeuralModel` uses it) the
    output layer starts at zero and the network learns the correction to a classical base model;
    otherwise the output is a linear function of the scalars plus a nonlinear correction.
    ``Rescaling`` maps the output to log10 cycles, so a saved model needs no external scaler.

``build_full_delta_q_cnn``
    Attia et al. 2021's CNN ("Statistical learning for accurate and interpretable battery lifetime
    prediction", J. Electrochem. Soc. 168, 090547): the ΔQ_k(V) of *every* recorded cycle k = 2…100
    against cycle 10, on about 100 voltage points, as one image; a LeNet (conv 6@3×3, pool 2,
    conv 16@3×3, pool 2, dense 120, 84, 1), trained full-batch with Adam and an L2 penalty on all
    weights for a fixed number of steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from matnn.core.exceptions import ConfigError
from matnn.core.layers.base import Layer
from matnn.core.registry import register_serializable

__all__ = ["build_tutorial_cnn", "build_dq_net", "build_full_delta_q_cnn", "SoftClip"]


@register_serializable("matnn>battery>SoftClip")
class SoftClip(Layer):
    """y = limit · tanh(x / limit): identity near 0, bounded by ±limit.

    Standardised summary features of a cell far outside the training range (a fast-fading
    outlier) would otherwise drive the linear head to absurd lifetimes.
    """

    layout_agnostic = True

    def __init__(self, limit: float = 4.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limit = float(limit)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.limit * torch.tanh(x / self.limit)

    forward_cf = forward

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg["limit"] = self.limit
        return cfg


def build_tutorial_cnn(
    image: np.ndarray,
    y_log: np.ndarray,
    *,
    filters: tuple[int, int] = (8, 16),
    kernel: tuple[int, int] = (5, 3),
    dense_units: int = 32,
) -> Any:
    """The tutorial's 2D CNN on the ΔQ image, as intended.

    Parameters
    ----------
    image : ndarray of shape (n_cells, n_voltages, n_cycles, 1)
        Training images (used only to adapt the input ``Normalization``).
    y_log : ndarray of shape (n_cells,)
        Training log10 cycle lives (mean and std set the output ``Rescaling``).

    Returns
    -------
    matnn.Sequential
        Uncompiled; output shape (n_samples, 1), log10 cycles.
    """
    import matnn
    from matnn.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D, Normalization, Rescaling

    norm = Normalization(axis=None)
    norm.adapt(image)
    h, w = image.shape[1], image.shape[2]
    kh, kw = kernel
    return matnn.Sequential(
        [
            Input(shape=(h, w, 1)),
            norm,
            Conv2D(filters[0], (kh, kw), activation="relu", padding="same"),
            MaxPooling2D((2, 1)),
            Conv2D(filters[1], (kh, kw), activation="relu", padding="same"),  # on the first block's output
            MaxPooling2D((2, 1)),
            Flatten(),
            Dense(dense_units, activation="relu"),
            Dense(1),
            Rescaling(float(np.std(y_log)) or 1.0, float(np.mean(y_log))),
        ]
    )


def build_dq_net(
    curves: np.ndarray,
    scalars: np.ndarray,
    y_log: np.ndarray,
    *,
    filters: int = 8,
    kernel: int = 9,
    pool: int = 4,
    hidden: int = 16,
    dropout: float = 0.2,
    residual: bool = False,
) -> Any:
    """matnn's hybrid 1D CNN: linear model on ΔQ summary features + convolutional correction.

    Parameters
    ----------
    curves : ndarray of shape (n_cells, n_voltages, n_cycles)
        ΔQ_k(V) curves, cycles as channels (adapts the per-channel ``Normalization``).
    scalars : ndarray of shape (n_cells, n_scalars)
        Summary features of ΔQ_{100−10} (adapts the scalar ``Normalization``).
    y_log : ndarray of shape (n_cells,)
        Training targets in log10 cycles (output ``Rescaling``): log lives, or with
        ``residual=True`` the residuals of a base model.
    residual : bool, default=False
        No linear skip and a zero-initialised output layer: the network starts by predicting 0
        (the base model unchanged) and learns a correction.

    Returns
    -------
    matnn.Model
        Two inputs ``[curves, scalars]``; output shape (n_samples, 1), log10 cycles.
    """
    import matnn
    from matnn.layers import (
        Add,
        AveragePooling1D,
        Concatenate,
        Conv1D,
        Dense,
        Dropout,
        GlobalAveragePooling1D,
        Input,
        Normalization,
        Rescaling,
    )

    n_v, n_c = curves.shape[1], curves.shape[2]
    c_in = Input(shape=(n_v, n_c), name="delta_q_curves")
    s_in = Input(shape=(scalars.shape[1],), name="delta_q_summary")
    c_norm = Normalization(axis=None)
    c_norm.adapt(curves)
    s_norm = Normalization()
    s_norm.adapt(scalars)
    s = SoftClip(4.0)(s_norm(s_in))
    x = c_norm(c_in)
    x = Conv1D(filters, kernel, activation="relu", padding="same")(x)
    x = AveragePooling1D(pool)(x)
    x = Conv1D(filters, kernel // 2 + 1, activation="relu", padding="same")(x)
    x = GlobalAveragePooling1D()(x)
    h = Concatenate()([x, s])
    h = Dense(hidden, activation="tanh")(h)
    h = Dropout(dropout)(h)
    if residual:
        out = Rescaling(float(np.std(y_log)) or 1.0, 0.0)(Dense(1, kernel_initializer="zeros")(h))
        return matnn.Model(inputs=[c_in, s_in], outputs=out, name="dq_net_residual")
    correction = Dense(1)(h)
    linear = Dense(1)(s)
    out = Rescaling(float(np.std(y_log)) or 1.0, float(np.mean(y_log)))(Add()([linear, correction]))
    return matnn.Model(inputs=[c_in, s_in], outputs=out, name="dq_net")


def build_full_delta_q_cnn(
    image: np.ndarray,
    y_log: np.ndarray,
    *,
    filters: tuple[int, int] = (6, 16),
    kernel: int = 3,
    dense_units: tuple[int, int] = (120, 84),
) -> Any:
    """Attia et al. 2021's CNN on the whole ΔQ image (a LeNet: two conv/pool blocks, two dense layers).

    The inputs are divided by their standard deviation over the training images (not centred, so
    the reference cycle's zero column stays zero); the output is added to the training mean of
    log10 cycle life.  Weights start from PyTorch's default initialisation, as in the reference.

    Parameters
    ----------
    image : ndarray of shape (n_cells, n_voltages, n_cycles)
        Training ΔQ images in Ah (set the input scale).
    y_log : ndarray of shape (n_cells,)
        Training log10 cycle lives (their mean is the output offset).

    Returns
    -------
    matnn.Sequential
        Uncompiled; input (n_samples, n_voltages, n_cycles, 1), output (n_samples, 1), log10 cycles.
    """
    import matnn
    from matnn.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D, Rescaling

    h, w = image.shape[1], image.shape[2]
    if min(h, w) < 2 * kernel + 4:
        raise ConfigError(
            f"The ΔQ image ({h} voltages × {w} cycles) is too small for two {kernel}×{kernel} conv/pool blocks."
        )
    scale = float(np.std(image)) or 1.0
    init = "torch_default"
    return matnn.Sequential(
        [
            Input(shape=(h, w, 1)),
            Rescaling(1.0 / scale),
            Conv2D(filters[0], kernel, activation="relu", kernel_initializer=init),
            MaxPooling2D(2),
            Conv2D(filters[1], kernel, activation="relu", kernel_initializer=init),
            MaxPooling2D(2),
            Flatten(),
            Dense(dense_units[0], activation="relu", kernel_initializer=init),
            Dense(dense_units[1], activation="relu", kernel_initializer=init),
            Dense(1, kernel_initializer=init),
            Rescaling(1.0, float(np.mean(y_log))),
        ],
        name="full_delta_q_cnn",
    )
