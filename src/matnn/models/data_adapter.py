"""Turn what the user passes to ``fit``/``evaluate``/``predict`` into device-ready batches.

Two paths:

* :class:`TensorData` — arrays that fit in memory (NumPy arrays, tensors, lists or dicts of them).
  They are validated once (shapes, NaN/inf, emptiness), moved to the device once, and batches are
  cut by index slicing: no DataLoader workers, no per-batch host→device copies, no collation.
* :class:`LoaderData` — a ``torch.utils.data.DataLoader`` (or a ``Dataset``) for data that is not a
  pair of arrays (graphs) or does not fit in memory; each batch is moved to the device as it comes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from matnn.core.exceptions import ConfigError, DataError
from matnn.core.validation import check, positive

__all__ = ["TensorData", "LoaderData", "adapt", "to_device", "structure_map", "first_tensor", "num_samples"]

Structure = Any  # tensor | list/tuple of tensors | dict of tensors | None


def structure_map(fn: Any, obj: Structure) -> Structure:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return {k: structure_map(fn, v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(structure_map(fn, v) for v in obj)
    return fn(obj)


def first_tensor(obj: Structure) -> torch.Tensor:
    if isinstance(obj, Mapping):
        return first_tensor(next(iter(obj.values())))
    if isinstance(obj, (list, tuple)):
        return first_tensor(obj[0])
    return obj


def to_device(obj: Any, device: torch.device, non_blocking: bool = False) -> Any:
    """Move tensors (also inside lists/tuples/dicts, or objects with ``.to``) to ``device``."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=non_blocking)
    if isinstance(obj, Mapping):
        return {k: to_device(v, device, non_blocking) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(v, device, non_blocking) for v in obj)
    if hasattr(obj, "to") and callable(obj.to):
        return obj.to(device)
    return obj


def _describe_location(idx: tuple[int, ...], shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f"row {idx[0]}"
    if len(shape) == 2:
        return f"row {idx[0]}, column {idx[1]}"
    return f"sample {idx[0]}, position {tuple(int(i) for i in idx[1:])}"


def _as_tensor(arr: Any, what: str, float_dtype: torch.dtype) -> torch.Tensor:
    """Convert one array-like to a tensor, checking it is numeric, non-empty and finite."""
    if isinstance(arr, torch.Tensor):
        t = arr.detach()
    else:
        if hasattr(arr, "to_numpy"):  # pandas
            arr = arr.to_numpy()
        try:
            a = np.asarray(arr)
        except Exception as exc:
            raise DataError(f"{what} could not be converted to an array: {exc}") from None
        if a.dtype == object:
            raise DataError(f"{what} holds non-numeric values (dtype object); convert it to numbers first.")
        if a.dtype.kind in "US":
            raise DataError(f"{what} holds text (dtype {a.dtype}); convert it to numbers first.")
        t = torch.from_numpy(np.ascontiguousarray(a))
    if t.dim() == 0:
        raise DataError(f"{what} is a scalar; expected an array with one row per sample.")
    if t.shape[0] == 0:
        raise DataError(f"{what} is empty (0 samples).")
    if t.dtype == torch.bool:
        t = t.to(float_dtype)
    if t.is_floating_point():
        t = t.to(float_dtype)
        finite = torch.isfinite(t)
        if not bool(finite.all()):
            idx = tuple(int(i) for i in torch.nonzero(~finite)[0])
            kind = "NaN" if bool(torch.isnan(t[idx])) else "an infinite value"
            raise DataError(f"{what} contains {kind} at {_describe_location(idx, tuple(t.shape))}.")
    elif t.dtype in (torch.int8, torch.int16, torch.int32, torch.uint8):
        t = t.long()
    return t


def _convert(obj: Structure, what: str, float_dtype: torch.dtype) -> Structure:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return {k: _as_tensor(v, f"{what}[{k!r}]", float_dtype) for k, v in obj.items()}
    if (
        isinstance(obj, (list, tuple))
        and len(obj) > 0
        and all(isinstance(v, (np.ndarray, torch.Tensor)) or hasattr(v, "to_numpy") for v in obj)
    ):
        return type(obj)(_as_tensor(v, f"{what}[{i}]", float_dtype) for i, v in enumerate(obj))
    return _as_tensor(obj, what, float_dtype)


def _leaves(obj: Structure) -> list[torch.Tensor]:
    if obj is None:
        return []
    if isinstance(obj, Mapping):
        return [t for v in obj.values() for t in _leaves(v)]
    if isinstance(obj, (list, tuple)):
        return [t for v in obj for t in _leaves(v)]
    return [obj]


def num_samples(obj: Structure) -> int:
    return int(first_tensor(obj).shape[0])


class TensorData:
    """In-memory ``(x, y, sample_weight)`` on one device, batched by index slicing.

    Parameters
    ----------
    x, y : arrays, tensors, or lists/dicts of them, one row per sample
    sample_weight : array of shape (n_samples,), optional
    device : torch.device
    float_dtype : torch.dtype
        Floating arrays are converted to this dtype (the model's).
    """

    def __init__(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        *,
        device: torch.device,
        float_dtype: torch.dtype = torch.float32,
        names: tuple[str, str, str] = ("x", "y", "sample_weight"),
    ) -> None:
        xt = _convert(x, f"Input {names[0]}", float_dtype)
        yt = _convert(y, f"Target {names[1]}", float_dtype)
        wt = _convert(sample_weight, names[2], float_dtype)
        n = num_samples(xt)
        for what, obj in ((names[0], xt), (names[1], yt), (names[2], wt)):
            for t in _leaves(obj):
                if t.shape[0] != n:
                    raise DataError(
                        f"{names[0]} has {n} samples but {what} has {t.shape[0]}; every array needs one row per sample."
                    )
        if wt is not None:
            if wt.dim() != 1:
                wt = wt.reshape(n, -1)
                if wt.shape[1] != 1:
                    raise DataError(f"{names[2]} must have shape (n_samples,). Got {tuple(wt.shape)}.")
                wt = wt[:, 0]
            if bool((wt < 0).any()):
                raise DataError(f"{names[2]} must be non-negative; row {int(torch.nonzero(wt < 0)[0])} is negative.")
        self.device = device
        self.x = to_device(xt, device)
        self.y = to_device(yt, device)
        self.sample_weight = to_device(wt, device)
        self.n = n

    @classmethod
    def _from_parts(cls, x: Structure, y: Structure, w: Structure, device: torch.device) -> TensorData:
        obj = cls.__new__(cls)
        obj.x, obj.y, obj.sample_weight, obj.device = x, y, w, device
        obj.n = num_samples(x)
        return obj

    def take(self, idx: torch.Tensor) -> tuple[Structure, Structure, torch.Tensor | None]:
        """The samples at integer positions ``idx`` (a device tensor)."""
        pick = lambda t: t.index_select(0, idx)  # noqa: E731
        return (
            structure_map(pick, self.x),
            structure_map(pick, self.y),
            None if self.sample_weight is None else pick(self.sample_weight),
        )

    def slice(self, start: int, stop: int) -> tuple[Structure, Structure, torch.Tensor | None]:
        """Contiguous samples ``start:stop`` (views, no copy)."""
        cut = lambda t: t[start:stop]  # noqa: E731
        return (
            structure_map(cut, self.x),
            structure_map(cut, self.y),
            None if self.sample_weight is None else cut(self.sample_weight),
        )

    def split_last(self, fraction: float) -> tuple[TensorData, TensorData]:
        """Keras's ``validation_split``: the last ``fraction`` of the samples (before any shuffling)."""
        if not 0.0 < fraction < 1.0:
            raise ConfigError(f"validation_split must be in (0, 1). Got {fraction!r}.")
        n_val = int(round(self.n * fraction))
        if n_val < 1 or n_val >= self.n:
            raise DataError(
                f"validation_split={fraction} leaves {self.n - n_val} training and {n_val} validation samples out of {self.n}; both need at least one."
            )
        cut = self.n - n_val
        a = TensorData._from_parts(*self.slice(0, cut), self.device)
        b = TensorData._from_parts(*self.slice(cut, self.n), self.device)
        return a, b

    def batches(
        self, batch_size: int, order: torch.Tensor | None = None
    ) -> Iterator[tuple[Structure, Structure, torch.Tensor | None]]:
        for start in range(0, self.n, batch_size):
            if order is None:
                yield self.slice(start, start + batch_size)
            else:
                yield self.take(order[start : start + batch_size])

    def steps(self, batch_size: int) -> int:
        return -(-self.n // batch_size)


class LoaderData:
    """Batches from a DataLoader, moved to the device one by one.

    The loader yields ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.
    """

    def __init__(self, loader: DataLoader, device: torch.device) -> None:
        self.loader = loader
        self.device = device
        try:
            self.n = len(loader.dataset)  # type: ignore[arg-type]
        except (TypeError, AttributeError):
            self.n = -1

    def batches(self, batch_size: int | None = None, order: Any = None) -> Iterator[tuple[Any, Any, Any]]:
        non_blocking = self.device.type == "cuda"
        for item in self.loader:
            if isinstance(item, (list, tuple)) and not hasattr(item, "to"):
                if len(item) == 3:
                    x, y, w = item
                elif len(item) == 2:
                    (x, y), w = item, None
                else:
                    raise DataError(
                        f"A data loader must yield x, (x, y) or (x, y, sample_weight); got a sequence of {len(item)} items."
                    )
            else:
                x, y, w = item, None, None
            yield (
                to_device(x, self.device, non_blocking),
                to_device(y, self.device, non_blocking),
                to_device(w, self.device, non_blocking),
            )

    def steps(self, batch_size: int | None = None) -> int | None:
        try:
            return len(self.loader)
        except TypeError:
            return None


def adapt(
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    *,
    device: torch.device,
    float_dtype: torch.dtype,
    batch_size: int | None = None,
    shuffle: bool = False,
    collate_fn: Any = None,
    generator: torch.Generator | None = None,
    names: tuple[str, str, str] = ("x", "y", "sample_weight"),
) -> TensorData | LoaderData:
    """Pick the in-memory or the streaming path for ``x``."""
    if isinstance(x, DataLoader):
        if y is not None or sample_weight is not None:
            raise ConfigError("When x is a DataLoader, targets and weights must come from the loader (pass y=None).")
        return LoaderData(x, device)
    if isinstance(x, Dataset) and not isinstance(x, (np.ndarray, torch.Tensor)):
        if y is not None or sample_weight is not None:
            raise ConfigError("When x is a Dataset, targets and weights must come from the dataset (pass y=None).")
        loader = DataLoader(
            x,
            batch_size=batch_size or 32,
            shuffle=shuffle,
            collate_fn=collate_fn,
            generator=generator if shuffle else None,
        )
        return LoaderData(loader, device)
    if x is None:
        raise DataError("No input data: x is None.")
    return TensorData(x, y, sample_weight, device=device, float_dtype=float_dtype, names=names)


def check_batch_size(batch_size: Any, owner: str = "Model.fit") -> int:
    """``batch_size`` as an int ≥ 1, else the one-line :class:`ConfigError`."""
    return int(check(owner, "batch_size", batch_size, positive(int)))
