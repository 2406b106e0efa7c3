"""Keras keyword arguments that matnn accepts at their Keras default but does not implement.

A script written for Keras passes keywords such as ``kernel_constraint=None`` or
``data_format="channels_last"``. matnn takes them, so the script runs unchanged, as long as the value
is one matnn computes the same way. Any other value is a one-line :class:`ConfigError` naming the
keyword, never a ``TypeError`` from deep inside; an unknown keyword is a ConfigError with a
close-match hint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from matnn.core.exceptions import ConfigError, close_matches

__all__ = ["KERAS_ONLY", "check_keras_only"]

#: keyword → the values matnn honours (Keras's default first). Anything else is refused.
KERAS_ONLY: dict[str, tuple[Any, ...]] = {
    # every layer
    "activity_regularizer": (None,),
    "autocast": (True,),
    "data_format": (None, "channels_last"),
    "batch_size": (None,),
    # weights
    "kernel_constraint": (None,),
    "bias_constraint": (None,),
    "recurrent_constraint": (None,),
    "beta_constraint": (None,),
    "gamma_constraint": (None,),
    "embeddings_constraint": (None,),
    "kernel_regularizer": (None,),
    "bias_regularizer": (None,),
    "recurrent_regularizer": (None,),
    "beta_regularizer": (None,),
    "gamma_regularizer": (None,),
    "embeddings_regularizer": (None,),
    "lora_rank": (None,),
    "lora_alpha": (None,),
    "quantization_config": (None,),
    "weights": (None,),
    "mask_zero": (False,),
    # batch normalisation
    "moving_mean_initializer": ("zeros",),
    "moving_variance_initializer": ("ones",),
    "renorm": (False,),
    "renorm_clipping": (None,),
    "renorm_momentum": (0.99,),
    "synchronized": (False,),
    # recurrent layers (fused torch kernels)
    "unit_forget_bias": (True,),
    "dropout": (0.0, 0),
    "recurrent_dropout": (0.0, 0),
    "seed": (None,),
    "stateful": (False,),
    "unroll": (False,),
    "use_cudnn": ("auto",),
    "reset_after": (True,),
    # Lambda
    "mask": (None,),
    # InputLayer
    "sparse": (None, False),
    "ragged": (None, False),
    "batch_shape": (None,),
    "input_tensor": (None,),
    "optional": (False,),
    # losses and metrics
    "dtype": (None, "float32"),
    "ignore_class": (None,),
    "class_aggregation": ("uniform_average",),
    "num_regressors": (0,),
    # optimizers
    "use_ema": (False,),
    "ema_momentum": (0.99,),
    "ema_overwrite_frequency": (None,),
    "loss_scale_factor": (None,),
    "gradient_accumulation_steps": (None,),
    # callbacks
    "save_freq": ("epoch",),
    "initial_value_threshold": (None,),
    "double_checkpoint": (False,),
    "add_history": (False,),
    "add_progbar": (False,),
}


def _same(value: Any, allowed: Any) -> bool:
    if value is allowed:
        return True
    if isinstance(value, bool) or isinstance(allowed, bool):
        return isinstance(value, bool) and isinstance(allowed, bool) and value == allowed
    try:
        return bool(type(value) is type(allowed) and value == allowed) or (
            isinstance(value, (int, float)) and isinstance(allowed, (int, float)) and float(value) == float(allowed)
        )
    except Exception:  # noqa: BLE001 - arrays and odd objects compare as "different"
        return False


def check_keras_only(owner: str, kwargs: Mapping[str, Any], accepted: Iterable[str] = ()) -> None:
    """Refuse Keras keywords set to values matnn does not implement, and unknown keywords.

    Parameters
    ----------
    owner : str
        Class name used in the message (``"Dense"``).
    kwargs : mapping
        The keyword arguments left over after the class took the ones it implements.
    accepted : iterable of str
        The keywords the class implements (for the close-match hint of an unknown keyword).

    Raises
    ------
    ConfigError
        ``'kernel_constraint' of Dense must be None (matnn does not implement it); got <value>``, or
        ``Dense got an unknown keyword argument 'unitz'. Did you mean 'units'?``.
    """
    for key, value in kwargs.items():
        allowed = KERAS_ONLY.get(key)
        if allowed is None:
            hint = close_matches(key, [*accepted, *KERAS_ONLY])
            msg = f"{owner} got an unknown keyword argument {key!r}."
            if hint:
                msg += f" Did you mean {', '.join(repr(h) for h in hint)}?"
            raise ConfigError(msg)
        if not any(_same(value, a) for a in allowed):
            want = " or ".join(repr(a) for a in allowed)
            raise ConfigError(
                f"'{key}' of {owner} must be {want} (matnn does not implement other values); got {value!r}"
            )
