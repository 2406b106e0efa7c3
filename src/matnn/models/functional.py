"""The functional form: ``Model(inputs, outputs)`` built by calling layers on symbolic ``Input`` tensors.

``Functional`` is defined beside ``Model`` in :mod:`matnn.models.model`, because ``Model(inputs, outputs)``
returns one; this module keeps the name importable from its own path (saved models name it).

Example
-------
>>> from matnn import Model
>>> from matnn.layers import Input, Dense, Concatenate
>>> composition = Input(shape=(86,), name="composition")
>>> conditions = Input(shape=(2,), name="conditions")
>>> h = Dense(64, activation="relu")(composition)
>>> out = Dense(1)(Concatenate()([h, conditions]))
>>> model = Model([composition, conditions], out)
"""

from matnn.models.model import Functional

__all__ = ["Functional"]
