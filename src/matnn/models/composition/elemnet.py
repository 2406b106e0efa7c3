"""ElemNet: a deep fully connected network from element fractions to formation enthalpy.

Jha, Ward, Paul, Liao, Choudhary, Wolverton & Agrawal, "ElemNet: Deep learning the chemistry of
materials from only elemental composition", Sci. Rep. 8, 17593 (2018).

The published network (``ELEMNET_ARCHITECTURE``) has 17 dense layers: 1024×4, 512×3, 256×3,
128×3, 64×2, 32×1 hidden layers with ReLU and one linear output, with dropout after the last
layer of the 1024, 512, 256 and 128 blocks.  The original TensorFlow code passes *keep*
probabilities 0.8, 0.9, 0.7, 0.8; the *drop* rates used here are therefore 0.2, 0.1, 0.3, 0.2.
It was trained with Adam (learning rate 1e-4), batch 32 and the mean absolute error as loss, with
early stopping.  Input: the 86 element fractions of
:data:`matnn.data.composition.ELEMNET_ELEMENTS`; output: eV/atom.

Architectures use the original code's compact notation: blocks separated by ``-``; ``1024x4D``
is four 1024-unit layers followed by dropout ("D"); the last token is the output size.  The
``i``-th block (0-based) gets the ``i``-th dropout rate when it carries a "D".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from matnn.core.exceptions import ConfigError

__all__ = [
    "ELEMNET_ARCHITECTURE",
    "ELEMNET_DROPOUT_RATES",
    "ELEMNET_INPUT_DIM",
    "Block",
    "parse_architecture",
    "elemnet_architecture_for_depth",
    "build_elemnet",
]

ELEMNET_ARCHITECTURE = "1024x4D-512x3D-256x3D-128x3D-64x2-32x1-1"
#: Drop rates of the four dropout blocks (original keep-probabilities 0.8, 0.9, 0.7, 0.8).
ELEMNET_DROPOUT_RATES: tuple[float, ...] = (0.2, 0.1, 0.3, 0.2)
ELEMNET_INPUT_DIM = 86

_BLOCK = re.compile(r"^(\d+)x(\d+)(D?)$")


@dataclass(frozen=True)
class Block:
    """``n_layers`` dense layers of ``units`` each, optionally followed by dropout."""

    units: int
    n_layers: int
    dropout: bool


def parse_architecture(spec: str) -> tuple[list[Block], int]:
    """Parse ``"1024x4D-512x3D-...-1"`` into blocks and the output size.

    Raises
    ------
    ConfigError
        Malformed text, with the offending token and the expected form.
    """
    if not isinstance(spec, str) or ("-" not in spec and not spec.strip().isdigit()):
        raise ConfigError(
            f"An ElemNet architecture must look like '1024x4D-512x3D-64x2-1' (blocks 'UNITSxLAYERS[D]' then the "
            f"output size). Got {spec!r} instead."
        )
    *tokens, last = spec.strip().split("-")
    blocks = []
    for tok in tokens:
        m = _BLOCK.match(tok.strip())
        if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
            raise ConfigError(
                f"Bad block {tok!r} in architecture {spec!r}: expected 'UNITSxLAYERS' with an optional 'D' for "
                "dropout, e.g. '1024x4D'."
            )
        blocks.append(Block(int(m.group(1)), int(m.group(2)), bool(m.group(3))))
    if not last.strip().isdigit() or int(last) < 1:
        raise ConfigError(f"The last token of architecture {spec!r} must be the output size, e.g. '1'. Got {last!r}.")
    return blocks, int(last)


def elemnet_architecture_for_depth(depth: int) -> str:
    """An ElemNet-style architecture with ``depth`` dense layers (output layer included).

    The hidden layers are the first ``depth - 1`` layers of ElemNet's sequence
    1024×4, 512×3, 256×3, 128×3, 64×2, 32×1 (dropout kept after each 1024/512/256/128 block that
    is present, after its last layer); beyond the published 17 layers, further 32-unit layers are
    appended.  ``depth=17`` gives ``ELEMNET_ARCHITECTURE``.  This is the family of the depth study
    (the paper's Fig. 3: error falls up to about 17 layers, then rises slowly).
    """
    if not isinstance(depth, int) or depth < 1:
        raise ConfigError(f"depth must be a positive integer (number of dense layers). Got {depth!r} instead.")
    layout = [(1024, 4, True), (512, 3, True), (256, 3, True), (128, 3, True), (64, 2, False), (32, 1, False)]
    hidden = depth - 1
    tokens = []
    for units, n, drop in layout:
        take = min(n, hidden)
        if take <= 0:
            break
        tokens.append(f"{units}x{take}{'D' if drop else ''}")
        hidden -= take
    if hidden > 0:
        tokens[-1] = f"32x{1 + hidden}"
    return "-".join([*tokens, "1"])


def build_elemnet(
    input_dim: int = ELEMNET_INPUT_DIM,
    architecture: str = ELEMNET_ARCHITECTURE,
    dropout_rates: tuple[float, ...] | list[float] = ELEMNET_DROPOUT_RATES,
    activation: str = "relu",
    *,
    monte_carlo_dropout: bool = False,
):
    """Build ElemNet (or any architecture in its notation) as a :class:`matnn.Sequential`.

    Parameters
    ----------
    input_dim : int, default=86
        Number of element fractions.
    architecture : str, default=ELEMNET_ARCHITECTURE
    dropout_rates : sequence of float, default=(0.2, 0.1, 0.3, 0.2)
        Drop probability of block ``i`` (when it is marked "D"); blocks past the end of the list
        get no dropout, as in the original code.
    activation : str, default='relu'
    monte_carlo_dropout : bool, default=False
        Keep the dropout layers active at inference (``Dropout(monte_carlo=True)``).  The reference
        TensorFlow code builds its evaluation graph with dropout for one-output networks, so every
        validation and test error it reports is from the noisy network; see
        :func:`matnn.models.predict_monte_carlo` for averaging several such passes.

    Returns
    -------
    matnn.Sequential
        Input shape (n_samples, input_dim) → output (n_samples, n_outputs); uncompiled.

    Examples
    --------
    >>> model = build_elemnet()  # doctest: +SKIP
    >>> model.compile(optimizer=matnn.optimizers.Adam(1e-4), loss="mae")  # doctest: +SKIP
    """
    import matnn
    from matnn.layers import Dense, Dropout

    for r in dropout_rates:
        if not 0.0 <= float(r) < 1.0:
            raise ConfigError(
                f"ElemNet dropout rates must be in [0, 1) (drop probabilities). Got {list(dropout_rates)!r}."
            )
    blocks, n_out = parse_architecture(architecture)
    layers = []
    first = True
    for i, block in enumerate(blocks):
        for _ in range(block.n_layers):
            kwargs = {"input_shape": (int(input_dim),)} if first else {}
            layers.append(Dense(block.units, activation=activation, **kwargs))
            first = False
        if block.dropout and i < len(dropout_rates) and dropout_rates[i] > 0:
            layers.append(Dropout(float(dropout_rates[i]), monte_carlo=monte_carlo_dropout))
    layers.append(Dense(n_out, **({"input_shape": (int(input_dim),)} if first else {})))
    return matnn.Sequential(layers)
