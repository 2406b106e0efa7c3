"""``Model``: a ``torch.nn.Module`` with the Keras workflow — compile, fit, evaluate, predict, save.

Three ways to define the architecture:

* ``Sequential([...])`` — a stack of layers;
* ``Model(inputs, outputs)`` — the functional form, for several inputs or outputs;
* subclass ``Model`` and write ``forward`` — anything else (graph networks, physics-informed heads).

Then the two remaining ingredients: ``compile(optimizer=..., loss=..., metrics=...)``, and
``fit`` to train.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from matnn import config
from matnn.core import distributed
from matnn.core import losses as losses_mod
from matnn.core import metrics as metrics_mod
from matnn.core import optimizers as optimizers_mod
from matnn.core.exceptions import ConfigError, DataError, NotFittedError, ShapeError
from matnn.core.layers.base import Layer, SymbolicTensor, snake_case
from matnn.core.layers.input_layer import InputLayer
from matnn.core.registry import deserialize, register_serializable, serialize
from matnn.core.validation import Interval, check, positive
from matnn.models import data_adapter
from matnn.models.data_adapter import TensorData, check_batch_size

__all__ = ["Model", "Functional", "unique_layer_name", "shape_error"]


def _call_module(module: nn.Module, *args: Any, **kwargs: Any) -> Any:
    """``module(*args)`` without hooks into ``Model.__call__``: the function ``jit_compile`` compiles."""
    return module._call_impl(*args, **kwargs)


class Model(nn.Module):
    """Base class of every matnn model.

    Attributes
    ----------
    optimizer : matnn.optimizers.Optimizer
        Set by :meth:`compile`.
    loss : matnn.losses.Loss
        Set by :meth:`compile`.
    history : matnn.callbacks.History
        Per-epoch logs of the last :meth:`fit`.
    stop_training : bool
        Set by callbacks to end training after the current epoch.
    inference_requires_grad : bool
        Class attribute; ``True`` for models whose forward pass needs autograd (forces = −∂E/∂r).
    metadata : dict
        Free-form JSON-able information saved with the model (units, feature names, ...).
    """

    inference_requires_grad: bool = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            return super().__new__(Functional)  # type: ignore[return-value]
        return super().__new__(cls)

    def __init__(self, *args: Any, name: str | None = None, **kwargs: Any) -> None:
        if args or kwargs:
            raise ConfigError(
                f"Model() got unexpected arguments {args or ''}{kwargs or ''}; use Model(inputs, outputs) for the functional form."
            )
        super().__init__()
        self.name = name or type(self).__name__.lower()
        self.optimizer: optimizers_mod.Optimizer | None = None
        self.loss: Any = None
        self.loss_weights: Any = None
        self._metric_objects: list[metrics_mod.Metric] = []
        self._compile_config: dict[str, Any] | None = None
        self.stop_training = False
        self.history: Any = None
        self._fit_state: dict[str, Any] = {}
        self.metadata: dict[str, Any] = {}

    # ================================================================ architecture
    @property
    def layers(self) -> list[nn.Module]:
        """Direct sub-modules (the layers of a Sequential or functional model)."""
        return list(self.children())

    @property
    def built(self) -> bool:
        """True when every weight exists (no lazy layer still waiting for its input shape)."""
        return all(m.built for m in self.modules() if isinstance(m, Layer))

    def count_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def _check_targets(self, y: Any) -> None:
        """Let a single compiled loss refuse targets it cannot mean (labels 0/1/2 for a binary loss, ...)."""
        if (
            y is None
            or not isinstance(y, (np.ndarray, torch.Tensor, list))
            or not isinstance(self.loss, losses_mod.Loss)
        ):
            return
        shape = getattr(self, "output_shape_", None)
        n_outputs = shape[-1] if isinstance(shape, tuple) and shape and isinstance(shape[-1], int) else None
        self.loss.check_targets(y, n_outputs)

    def _regularized_layers(self) -> list[nn.Module]:
        return [
            m
            for m in self.modules()
            if isinstance(m, Layer)
            and (getattr(m, "kernel_regularizer", None) is not None or getattr(m, "bias_regularizer", None) is not None)
        ]

    def _regularization_loss(self) -> torch.Tensor | None:
        # fit() caches the list: walking every module at every step costs more than a small model's maths
        layers = self._fit_state.get("regularized") if self._fit_state else None
        if layers is None:
            layers = self._regularized_layers()
        terms = [t for m in layers for t in [m.regularization_loss()] if t is not None]
        if not terms:
            return None
        out = terms[0]
        for t in terms[1:]:
            out = out + t
        return out

    def get_weights(self) -> list[np.ndarray]:
        """All weights and buffers as NumPy arrays, in ``state_dict`` order (Keras's ``get_weights``)."""
        return [v.detach().cpu().numpy().copy() for v in self.state_dict().values()]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        state = self.state_dict()
        if len(weights) != len(state):
            raise ShapeError(
                f"set_weights got {len(weights)} arrays but the model has {len(state)} weights and buffers."
            )
        new = {}
        for (k, v), w in zip(state.items(), weights, strict=True):
            t = torch.as_tensor(np.asarray(w))
            if tuple(t.shape) != tuple(v.shape):
                raise ShapeError(f"set_weights: weight '{k}' has shape {tuple(v.shape)}, got {tuple(t.shape)}.")
            new[k] = t.to(v.dtype)
        self.load_state_dict(new)

    # ================================================================ compile
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Sequence[Any] | None = None,
        *,
        loss_weights: Sequence[float] | dict | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        jit_compile: bool = False,
    ) -> None:  # type: ignore[override]
        """Choose the loss to minimise, the optimizer and the metrics to report.

        Parameters
        ----------
        optimizer : str or Optimizer, default="rmsprop"
            ``"sgd"``, ``"rmsprop"``, ``"adam"``, ``"adamw"``, ``"adadelta"``, ``"adagrad"``, ``"adamax"``,
            ``"nadam"``, a :mod:`matnn.optimizers` object, or a ``torch.optim`` optimizer over ``model.parameters()``.
        loss : str, Loss or callable
            ``"mse"``, ``"mae"``, ``"huber"``, ``"binary_crossentropy"``, ``"categorical_crossentropy"``,
            ``"sparse_categorical_crossentropy"``, ``"kl_divergence"``, ``"jaccard"``, or ``fn(y_true, y_pred)``.
            A list (or dict) gives one loss per output, summed with ``loss_weights``.
        metrics : list, optional
            ``"mae"``, ``"mse"``, ``"rmse"``, ``"r2"``, ``"accuracy"`` or loss names.
        clipnorm, clipvalue : float, optional
            Gradient clipping by global norm / by value (overrides the optimizer's).
        jit_compile : bool, default=False
            Run the forward pass through ``torch.compile`` (Keras's ``jit_compile``): fused kernels,
            fewer passes over memory. It pays on models whose steps are many elementwise operations
            over large tensors (CGCNN on a CPU core: 1.75× per step; ``bench/RESULTS.md``), after a
            one-off compilation of tens of seconds, so use it for long runs. Needs a C++ compiler on the
            CPU (Triton on a GPU); if compilation fails, a warning names the reason and the model runs
            eagerly. Results agree with eager mode to rounding (about 1e-6), not bit for bit, and are
            reproducible run to run. Not available for models that differentiate their output with
            respect to their inputs (``inference_requires_grad``, e.g. potentials with forces).

        Note: ``torch.nn.Module.compile`` (``torch.compile``) is replaced by this method, as in Keras;
        ``jit_compile=True`` is the way to graph compilation.
        """
        if loss is None and type(self).compute_loss is Model.compute_loss:
            raise ConfigError(
                "compile() needs a loss, e.g. loss='mse' (regression) or loss='categorical_crossentropy' (classification)."
            )
        opt = optimizers_mod.get(optimizer)
        if clipnorm is not None:
            opt.clipnorm = float(check("Model.compile", "clipnorm", clipnorm, positive()))
        if clipvalue is not None:
            opt.clipvalue = float(check("Model.compile", "clipvalue", clipvalue, positive()))
        self.optimizer = opt
        if isinstance(loss, (list, tuple)):
            self.loss = [losses_mod.get(item) for item in loss]
        elif isinstance(loss, dict) and "class_name" not in loss:
            self.loss = {k: losses_mod.get(v) for k, v in loss.items()}
        else:
            self.loss = None if loss is None else losses_mod.get(loss)
        self.loss_weights = loss_weights
        if isinstance(metrics, (str, metrics_mod.Metric)) or callable(metrics):
            metrics = [metrics]  # metrics="mae" means one metric, not the letters m, a, e
        self._metric_objects = [metrics_mod.get(m) for m in (metrics or [])]
        self._compile_config = self._describe_compile(optimizer, loss, metrics, loss_weights)
        self._set_jit_compile(jit_compile)

    @property
    def jit_compile(self) -> bool:
        """True when the forward pass runs through ``torch.compile`` (see :meth:`compile`)."""
        return self.__dict__.get("_jit_fn") is not None

    def _set_jit_compile(self, flag: bool) -> None:
        if not isinstance(flag, bool):
            raise ConfigError(f"'jit_compile' must be True or False. Got {flag!r} instead.")
        if flag and self.inference_requires_grad:
            raise ConfigError(
                f"jit_compile=True is not available for {type(self).__name__}: its outputs are "
                "differentiated with respect to its inputs (forces), which torch.compile cannot train."
            )
        # The module travels as an argument, so a copy of the model (deepcopy) never runs the original's graph:
        # dynamo's guards see a different module and compile again.
        self.__dict__["_jit_fn"] = torch.compile(_call_module, dynamic=True) if flag else None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        jit = self.__dict__.get("_jit_fn")
        if jit is None:
            return super().__call__(*args, **kwargs)
        try:
            return jit(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - no compiler, or an operation the compiler cannot handle
            self.__dict__["_jit_fn"] = None
            out = super().__call__(*args, **kwargs)  # a genuine error in the model raises here, eagerly
            import warnings

            reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            warnings.warn(
                f"jit_compile: torch.compile failed ({type(exc).__name__}: {reason}); "
                f"{type(self).__name__} runs eagerly instead.",
                RuntimeWarning,
                stacklevel=2,
            )
            return out

    def _describe_compile(self, optimizer: Any, loss: Any, metrics: Any, loss_weights: Any) -> dict[str, Any] | None:
        """A JSON-able record of compile() for saving, or None when something is a custom object."""
        try:
            opt_cfg = serialize(self.optimizer)
            if isinstance(loss, str) or loss is None:
                loss_cfg: Any = loss
            elif isinstance(loss, (list, tuple)) and all(isinstance(item, str) for item in loss):
                loss_cfg = list(loss)
            else:
                loss_cfg = serialize(self.loss)
            metric_cfg = [m for m in (metrics or []) if isinstance(m, str)]
            return {"optimizer": opt_cfg, "loss": loss_cfg, "metrics": metric_cfg, "loss_weights": loss_weights}
        except (ConfigError, TypeError):
            return None

    @property
    def compiled(self) -> bool:
        return self.optimizer is not None

    @property
    def metrics_names(self) -> list[str]:
        return ["loss"] + [m.name for m in self._metric_objects]

    def compute_loss(self, x: Any, y: Any, y_pred: Any, sample_weight: torch.Tensor | None = None) -> torch.Tensor:
        """The scalar minimised by ``fit``: compiled loss(es) plus weight penalties.

        Override for losses that need more than ``(y, y_pred)``, e.g. energies and forces together.
        """
        if self.loss is None:
            raise ConfigError(f"{type(self).__name__} has no loss: pass loss= to compile() or override compute_loss().")
        if y is None:
            raise DataError("fit/evaluate need targets y (the data gave none).")
        if isinstance(self.loss, list):
            if not isinstance(y_pred, (list, tuple)) or len(y_pred) != len(self.loss):
                raise ShapeError(
                    f"compile() got {len(self.loss)} losses but the model returned {1 if isinstance(y_pred, torch.Tensor) else len(y_pred)} outputs."
                )
            ys = y if isinstance(y, (list, tuple)) else [y]
            weights = self.loss_weights or [1.0] * len(self.loss)
            total = sum(w * fn(t, p, sample_weight) for fn, t, p, w in zip(self.loss, ys, y_pred, weights, strict=True))
        elif isinstance(self.loss, dict):
            weights = self.loss_weights or {}
            total = sum(weights.get(k, 1.0) * fn(y[k], y_pred[k], sample_weight) for k, fn in self.loss.items())
        else:
            total = self.loss(y, y_pred, sample_weight)
        reg = self._regularization_loss()
        return total if reg is None else total + reg

    # ================================================================ data plumbing
    def _device(self, device: Any) -> torch.device:
        if device is not None:
            return config.resolve_device(device)
        for p in self.parameters():
            if p.device.type != "cpu":
                return p.device
        return config.get_device()

    def _float_dtype(self) -> torch.dtype:
        for p in self.parameters():
            if p.is_floating_point():
                return p.dtype
        return torch.float32

    def _check_input(self, data: Any) -> None:
        """Compare the data's per-sample shape with the model's declared input shape (if any)."""
        expected = getattr(self, "input_shape_", None)
        if expected is None or not isinstance(data, TensorData):
            return
        x = data.x
        got = (
            [tuple(t.shape[1:]) for t in (x if isinstance(x, (list, tuple)) else [x])]
            if not isinstance(x, dict)
            else None
        )
        if got is None:
            return
        exp = expected if isinstance(expected, list) else [expected]
        if len(got) != len(exp):
            raise ShapeError(f"{self.name} expects {len(exp)} input array(s) but got {len(got)}.")
        for g, e in zip(got, exp, strict=True):
            if len(g) != len(e) or any(a is not None and a != b for a, b in zip(e, g, strict=True)):
                hint = ""
                if len(g) + 1 == len(e) and e[-1] == 1:
                    hint = " Add a channel axis, e.g. x[..., None]."
                raise ShapeError(
                    f"{self.name} expects inputs of shape (None, {', '.join(map(str, e))}) but got (n, {', '.join(map(str, g))}).{hint}"
                )

    def _ensure_built(self, data: Any) -> None:
        """Create lazy weights from one real batch, then the optimizer."""
        if not self.built:
            xb = self._peek(data)
            with torch.no_grad():
                was = self.training
                self.eval()
                self(xb)
                self.train(was)
        if self.optimizer is not None and not self.optimizer.built:
            self.optimizer.build(self.parameters())

    @staticmethod
    def _peek(data: Any) -> Any:
        if isinstance(data, TensorData):
            return data.slice(0, min(2, data.n))[0]
        return next(iter(data.batches()))[0]

    # ================================================================ fit / evaluate / predict
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Sequence[Any] | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        sample_weight: Any = None,
        class_weight: dict[int, float] | None = None,
        initial_epoch: int = 0,
        validation_batch_size: int | None = None,
        *,
        device: Any = None,
        collate_fn: Callable | None = None,
        restore_on_divergence: bool = True,
        divergence_factor: float | None = 1e4,
    ) -> Any:
        """Train the model for ``epochs`` passes over the data.

        Parameters
        ----------
        x : array-like of shape (n_samples, ...), list/dict of arrays, Dataset or DataLoader
        y : array-like of shape (n_samples, ...), optional
            Targets (omit when ``x`` is a Dataset/DataLoader yielding ``(x, y)``).
        batch_size : int, default=32
        epochs : int, default=1
        verbose : {"auto", 0, 1, 2}
            0 silent; 1 a progress bar on terminals (one line per epoch when redirected); 2 one line per epoch.
        callbacks : list of Callback
        validation_split : float, default=0
            Fraction of the data, taken from the end as in Keras, held out for ``val_*`` logs.
        validation_data : tuple (x_val, y_val[, w_val]) or DataLoader, optional
        shuffle : bool, default=True
        sample_weight : array-like of shape (n_samples,), optional
        class_weight : dict, optional
            ``{class_index: weight}``, turned into sample weights.
        device : str or torch.device, optional
            Default: :func:`matnn.config.get_device` ('auto': CUDA when available).
        collate_fn : callable, optional
            Passed to the DataLoader built when ``x`` is a Dataset.
        divergence_factor : float or None, default=1e4
            Stop with :class:`~matnn.core.exceptions.DivergenceError` when an epoch's training loss exceeds this
            many times both its lowest value so far and its first epoch's value: a run whose loss stays finite but
            climbs by orders of magnitude has diverged all the same. ``None`` turns the check off.
        restore_on_divergence : bool, default=True
            On a NaN/inf loss, restore the weights of the last finite epoch before raising DivergenceError.

        Under ``torchrun --nproc-per-node N`` (``WORLD_SIZE > 1``) the network trains data-parallel with
        :class:`~torch.nn.parallel.DistributedDataParallel`: each rank takes ``batch_size / N`` samples of every
        batch (the global batch stays ``batch_size``), batch-norm statistics are synchronised, logs are
        all-reduced, and only rank 0 prints or writes (see :mod:`matnn.core.distributed`).

        Returns
        -------
        History
            ``history.history`` maps ``"loss"``, metrics and ``"val_*"`` to per-epoch lists.
        """
        from matnn.models.training import fit_loop

        if not self.compiled:
            raise NotFittedError(
                f"{self.name} must be compiled before fit(): call model.compile(optimizer=..., loss=...)."
            )
        config.get_num_threads()
        epochs = int(check("Model.fit", "epochs", epochs, positive(int)))
        batch_size = check_batch_size(batch_size if batch_size is not None else 32)
        if not 0 <= int(initial_epoch) < epochs:
            raise ConfigError(f"initial_epoch must be in [0, epochs). Got {initial_epoch!r} with epochs={epochs}.")
        dev = self._device(device)
        parallel = distributed.launched_by_torchrun()
        if parallel:  # one process of several started by torchrun: join the group, train on this rank's device
            dev = distributed.init_process_group(dev)
        self.to(dev)
        generator = torch.Generator(device="cpu")
        shuffle_seed = int(torch.randint(0, 2**62, (1,)).item())
        if parallel:  # every rank cuts the same permutation of the data
            shuffle_seed = distributed.broadcast_int(shuffle_seed, dev)
        generator.manual_seed(shuffle_seed)
        self._check_targets(y)
        if class_weight is not None:
            sample_weight = _class_weights_to_sample(y, class_weight, sample_weight)
        train = data_adapter.adapt(
            x,
            y,
            sample_weight,
            device=dev,
            float_dtype=self._float_dtype(),
            batch_size=batch_size,
            shuffle=shuffle,
            collate_fn=collate_fn,
            generator=generator,
        )
        validation = None
        if validation_data is not None:
            if validation_split:
                raise ConfigError("Pass either validation_split or validation_data, not both.")
            validation = self._adapt_validation(validation_data, dev, collate_fn, batch_size)
        elif validation_split:
            if not isinstance(train, TensorData):
                raise ConfigError(
                    "validation_split needs in-memory arrays; pass validation_data=DataLoader(...) with a DataLoader."
                )
            train, validation = train.split_last(float(validation_split))
        self._check_input(train)
        self._ensure_built(train)
        self.to(dev)
        vbs = validation_batch_size or max(batch_size, 1024)
        return fit_loop(
            self,
            train,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=shuffle,
            validation=validation,
            callbacks=list(callbacks or []),
            verbose=verbose,
            initial_epoch=int(initial_epoch),
            generator=generator,
            validation_batch_size=vbs,
            restore_on_divergence=restore_on_divergence,
            divergence_factor=None
            if divergence_factor is None
            else float(
                check("Model.fit", "divergence_factor", divergence_factor, Interval(float, 1, None, closed="neither"))
            ),
        )

    def _adapt_validation(self, validation_data: Any, dev: torch.device, collate_fn: Any, batch_size: int) -> Any:
        if isinstance(validation_data, (torch.utils.data.DataLoader, torch.utils.data.Dataset)) and not isinstance(
            validation_data, (np.ndarray, torch.Tensor)
        ):
            return data_adapter.adapt(
                validation_data,
                device=dev,
                float_dtype=self._float_dtype(),
                batch_size=batch_size,
                collate_fn=collate_fn,
            )
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ConfigError(
                "validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight_val) or a DataLoader."
            )
        return data_adapter.adapt(
            *validation_data, device=dev, float_dtype=self._float_dtype(), names=("x_val", "y_val", "sample_weight_val")
        )

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = 0,
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Sequence[Any] | None = None,
        return_dict: bool = False,
        *,
        device: Any = None,
        collate_fn: Callable | None = None,
    ) -> float | list[float] | dict[str, float]:
        """Loss and metrics on ``(x, y)`` in inference mode, returned as Keras returns them.

        Returns
        -------
        float or list of float or dict
            The scalar loss when no metrics were compiled; ``[loss, metric_1, ...]`` in the order of
            :attr:`metrics_names` otherwise; ``{"loss": ..., "<metric>": ...}`` with ``return_dict=True``.
        """
        from matnn.models.training import evaluate_loop

        if not self.compiled and type(self).compute_loss is Model.compute_loss:
            raise NotFittedError(f"{self.name} must be compiled before evaluate().")
        if steps is not None or callbacks:
            raise ConfigError(
                "evaluate(): 'steps' and 'callbacks' must be None (matnn evaluates the whole data set once)"
            )
        config.get_num_threads()
        dev = self._device(device)
        self.to(dev)
        bs = check_batch_size(batch_size or 1024)
        data = data_adapter.adapt(
            x, y, sample_weight, device=dev, float_dtype=self._float_dtype(), batch_size=bs, collate_fn=collate_fn
        )
        self._check_input(data)
        self._ensure_built(data)
        logs = evaluate_loop(self, data, batch_size=bs)
        if return_dict:
            return logs
        if not self._metric_objects:
            return logs["loss"]
        return [logs["loss"]] + [logs[m.name] for m in self._metric_objects]

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = 0,
        *,
        device: Any = None,
        collate_fn: Callable | None = None,
    ) -> Any:
        """Outputs for ``x`` as NumPy arrays (a list for several outputs), in inference mode."""
        from matnn.models.training import predict_loop

        config.get_num_threads()
        dev = self._device(device)
        self.to(dev)
        bs = check_batch_size(batch_size or 1024)
        data = data_adapter.adapt(x, device=dev, float_dtype=self._float_dtype(), batch_size=bs, collate_fn=collate_fn)
        self._check_input(data)
        if not self.built:
            self._ensure_built(data)
        return predict_loop(self, data, batch_size=bs)

    def predict_on_batch(self, x: Any) -> Any:
        return self.predict(x, batch_size=len(x))

    # ================================================================ inspection and saving
    def summary(self, print_fn: Callable[[str], Any] | None = print, line_length: int = 80) -> str:
        """Print (and return) a table of layers, output shapes and parameter counts."""
        from matnn.models.summary import summary_table

        text = summary_table(self, line_length=line_length)
        if print_fn is not None:
            print_fn(text)
        return text

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments; subclasses that want to be saved override this (and register the class)."""
        raise ConfigError(
            f"{type(self).__name__} cannot be saved as an architecture: give it get_config() returning its constructor "
            "arguments and decorate the class with @matnn.register_serializable()."
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Model:
        return cls(**config)

    def save(self, filepath: str | os.PathLike, *, include_optimizer: bool = False) -> None:
        """Write architecture, weights, compile settings, metadata and matnn version to one file (atomically)."""
        from matnn.models.saving import save_model

        save_model(self, filepath, include_optimizer=include_optimizer)

    def save_weights(self, filepath: str | os.PathLike) -> None:
        from matnn.models.saving import save_weights

        save_weights(self, filepath)

    def load_weights(self, filepath: str | os.PathLike) -> None:
        from matnn.models.saving import load_weights

        load_weights(self, filepath)

    def __repr__(self) -> str:
        return nn.Module.__repr__(self)


def _class_weights_to_sample(y: Any, class_weight: dict[int, float], sample_weight: Any) -> np.ndarray:
    if y is None:
        raise ConfigError("class_weight needs targets y.")
    yy = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y)
    labels = yy.argmax(-1) if yy.ndim > 1 and yy.shape[-1] > 1 else yy.reshape(len(yy), -1)[:, 0]
    labels = labels.astype(int)
    missing = sorted(set(np.unique(labels).tolist()) - set(class_weight))
    if missing:
        raise ConfigError(f"class_weight has no entry for class(es) {missing}.")
    w = np.array([class_weight[int(c)] for c in labels], dtype=np.float64)
    if sample_weight is not None:
        w = w * np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    return w


# --- Shared by Sequential and the functional form ---------------------------------------------

_SHAPE_WORDS = ("shape", "size", "dimension", "mat1", "mat2", "expected input", "channels")


def unique_layer_name(layer: nn.Module, taken: set[str]) -> str:
    base = getattr(layer, "name", None) or snake_case(type(layer).__name__)
    name, k = base, 1
    while name in taken:
        name = f"{base}_{k}"
        k += 1
    return name


def shape_error(layer: nn.Module, x: Any, exc: Exception) -> ShapeError:
    shape = tuple(x.shape) if isinstance(x, torch.Tensor) else [tuple(t.shape) for t in x]
    return ShapeError(
        f"Layer '{getattr(layer, 'name', type(layer).__name__)}' ({type(layer).__name__}) cannot take an input of shape {shape}: {str(exc).splitlines()[0]}"
    )


# --- The functional form: Model(inputs, outputs) ---------------------------------------------


def _as_list(x: Any) -> list[SymbolicTensor]:
    items = list(x) if isinstance(x, (list, tuple)) else [x]
    for t in items:
        if not isinstance(t, SymbolicTensor):
            raise ConfigError(f"Model(inputs, outputs) takes symbolic tensors from Input() and layer calls. Got {t!r}.")
    return items


@register_serializable("matnn>Functional")
class Functional(Model):
    """A directed acyclic graph of layers between ``inputs`` and ``outputs`` (see module docstring)."""

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None) -> None:
        super().__init__(name=name or "model")
        self._multi_input = isinstance(inputs, (list, tuple))
        self._multi_output = isinstance(outputs, (list, tuple))
        ins, outs = _as_list(inputs), _as_list(outputs)
        for t in ins:
            if not isinstance(t.layer, InputLayer):
                raise ConfigError("Every entry of Model(inputs=...) must come from Input().")
        # Topological order of layer calls, found by walking back from the outputs.
        order: list[SymbolicTensor] = []
        seen: set[int] = set()

        def visit(t: SymbolicTensor) -> None:
            if id(t) in seen:
                return
            for parent in t.inputs:
                visit(parent)
            seen.add(id(t))
            order.append(t)

        for t in outs:
            visit(t)
        reachable_inputs = {id(t) for t in order if isinstance(t.layer, InputLayer)}
        for t in order:
            if isinstance(t.layer, InputLayer) and id(t) not in {id(i) for i in ins}:
                raise ConfigError(
                    f"The outputs depend on an Input ({t.layer.name or 'unnamed'}) that is not listed in Model(inputs=...)."
                )
        for t in ins:
            if id(t) not in reachable_inputs:
                raise ConfigError(f"Input {t.layer.name or 'unnamed'} is not connected to the outputs.")

        self._stack = nn.ModuleDict()
        layer_names: dict[int, str] = {}
        for t in order:
            if isinstance(t.layer, InputLayer) or id(t.layer) in layer_names:
                continue
            name = unique_layer_name(t.layer, set(self._stack.keys()))
            t.layer.name = name
            layer_names[id(t.layer)] = name
            self._stack[name] = t.layer
        # Nodes: one per distinct (layer call); outputs of multi-output layers share a node.
        tensor_key: dict[int, tuple[int, int]] = {}
        self._nodes: list[dict[str, Any]] = []
        call_index: dict[tuple[int, tuple[int, ...]], int] = {}
        for pos, t in enumerate(ins):
            tensor_key[id(t)] = (-1, pos)
        for t in order:
            if isinstance(t.layer, InputLayer):
                continue
            parents = tuple(id(p) for p in t.inputs)
            key = (id(t.layer), parents)
            if key not in call_index:
                call_index[key] = len(self._nodes)
                self._nodes.append(
                    {
                        "layer": layer_names[id(t.layer)],
                        "inputs": [list(tensor_key[p]) for p in parents],
                        "list_input": len(t.inputs) > 1 or _called_with_list(t),
                    }
                )
            tensor_key[id(t)] = (call_index[key], t.index)
        self._outputs = [list(tensor_key[id(t)]) for t in outs]
        self.input_shape_ = [t.shape for t in ins] if self._multi_input else ins[0].shape
        self.output_shape_ = [t.shape for t in outs] if self._multi_output else outs[0].shape
        self._input_specs = [{"name": t.layer.name, "shape": list(t.shape), "dtype": t.layer.dtype_name} for t in ins]

    def forward(self, inputs: Any) -> Any:
        if isinstance(inputs, dict):
            inputs = [inputs[spec["name"]] for spec in self._input_specs]
        xs = list(inputs) if self._multi_input else [inputs]
        if len(xs) != len(self._input_specs):
            raise ConfigError(f"{self.name} takes {len(self._input_specs)} inputs; got {len(xs)}.")
        values: list[Any] = []
        for node in self._nodes:
            args = [xs[i] if n < 0 else _pick(values[n], i) for n, i in node["inputs"]]
            layer = self._stack[node["layer"]]
            arg = args if node["list_input"] else args[0]
            try:
                values.append(layer(arg))
            except RuntimeError as exc:
                if any(w in str(exc) for w in _SHAPE_WORDS):
                    raise shape_error(layer, arg, exc) from exc
                raise
        outs = [xs[i] if n < 0 else _pick(values[n], i) for n, i in self._outputs]
        return outs if self._multi_output else outs[0]

    @property
    def layers(self) -> list[nn.Module]:
        return list(self._stack.values())

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "inputs": self._input_specs,
            "layers": [{"name": k, **serialize(v)} for k, v in self._stack.items()],
            "nodes": self._nodes,
            "outputs": self._outputs,
            "multi_input": self._multi_input,
            "multi_output": self._multi_output,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Functional:
        from matnn.core.layers.input_layer import Input

        inputs = [
            Input(tuple(spec["shape"]), dtype=spec.get("dtype", "float32"), name=spec.get("name"))
            for spec in config["inputs"]
        ]
        layers: dict[str, Layer] = {}
        for spec in config["layers"]:
            cfg = {k: v for k, v in spec["config"].items() if k != "input_shape"}
            layers[spec["name"]] = deserialize(
                {"class_name": spec["class_name"], "module": spec.get("module"), "config": cfg}
            )
        values: list[Any] = []
        for node in config["nodes"]:
            args = [inputs[i] if n < 0 else _pick(values[n], i) for n, i in node["inputs"]]
            values.append(layers[node["layer"]](args if node["list_input"] else args[0]))
        outs = [inputs[i] if n < 0 else _pick(values[n], i) for n, i in config["outputs"]]
        return cls(
            inputs if config["multi_input"] else inputs[0],
            outs if config["multi_output"] else outs[0],
            name=config.get("name"),
        )


def _pick(value: Any, index: int) -> Any:
    if isinstance(value, (list, tuple)):
        return value[index]
    return value


def _called_with_list(t: SymbolicTensor) -> bool:
    # Merging layers are always called with a list, even of one element.
    from matnn.core.layers.merging import Add, Average, Concatenate, Multiply, Subtract

    return isinstance(t.layer, (Concatenate, Add, Average, Multiply, Subtract))
