"""One-file model persistence: ``model.save(path)`` and ``matnn.load_model(path)``.

The file (a torch zip archive, read with ``weights_only=True`` so loading never runs code) holds:
the architecture as a registered class name plus constructor config, the weights and buffers (so
``Normalization`` statistics — the input scaling — travel with the model), the compile settings, the
model's ``metadata`` dict, and the matnn/torch versions that wrote it. Loading needs matnn, not the
script that built the model. Writes are atomic.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from matnn.core.exceptions import ConfigError, DataError
from matnn.core.registry import deserialize, serialize
from matnn.utils.io import atomic_path, to_jsonable

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "FORMAT"]

FORMAT = "matnn.model"
FORMAT_VERSION = 1

#: Packages that moved: an architecture names the module that defined its class (so that loading can
#: import it), and a file saved before a move names the old place.
MOVED_MODULES = {
    "matnn.models.graph": "matnn.models.crystals",
    "matnn.models.battery_cnn": "matnn.models.battery.architectures",
    "matnn.models.lenet": "matnn.models.images.lenet",
    "matnn.models.microstructure_cnn": "matnn.models.microstructure.cnn",
    "matnn.models.elemnet": "matnn.models.composition.elemnet",
    "matnn.models.dense_network": "matnn.models.composition.dense_network",
}


def current_module_paths(spec: Any) -> Any:
    """A copy of the architecture ``spec`` with every ``"module"`` under a moved package renamed
    (:data:`MOVED_MODULES`); anything else is returned as it is."""
    if isinstance(spec, list):
        return [current_module_paths(v) for v in spec]
    if not isinstance(spec, dict):
        return spec
    out = {k: current_module_paths(v) for k, v in spec.items()}
    module = out.get("module")
    if isinstance(module, str):
        for old, new in MOVED_MODULES.items():
            if module == old or module.startswith(old + "."):
                out["module"] = new + module[len(old) :]
    return out


def _cpu_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def save_model(model: Any, filepath: str | os.PathLike, *, include_optimizer: bool = False) -> Path:
    """Save ``model`` to ``filepath`` (any extension; ``.matnn`` by convention)."""
    from matnn import __version__

    path = Path(filepath)
    payload: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "matnn_version": __version__,
        "torch_version": str(torch.__version__),
        # plain JSON types only, so that loading works with weights_only=True
        "architecture": to_jsonable(serialize(model)),
        "state_dict": _cpu_state(model),
        "compile": to_jsonable(getattr(model, "_compile_config", None)),
        "metadata": to_jsonable(dict(getattr(model, "metadata", {}) or {})),
    }
    if include_optimizer and getattr(model, "optimizer", None) is not None and model.optimizer.built:
        payload["optimizer_state"] = model.optimizer.state_dict()
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def _read(filepath: str | os.PathLike, what: str) -> dict[str, Any]:
    path = Path(filepath)
    if not path.exists():
        raise DataError(f"Cannot load {what}: {str(path)!r} does not exist.")
    if path.is_dir():
        raise DataError(f"Cannot load {what}: {str(path)!r} is a folder, not a file.")
    if path.stat().st_size == 0:
        raise DataError(f"Cannot load {what}: {str(path)!r} is empty.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        # torch's own message suggests weights_only=False, which would run code from the file: never that.
        raise DataError(f"{str(path)!r} is not a matnn {what} file, or it is damaged ({type(exc).__name__}).") from None
    if not isinstance(payload, dict) or payload.get("format") not in (FORMAT, FORMAT + ".weights"):
        raise DataError(f"{str(path)!r} is not a matnn {what} file.")
    return payload


def load_model(
    filepath: str | os.PathLike,
    *,
    custom_objects: dict[str, type] | None = None,
    compile: bool = True,
    device: Any = None,
) -> Any:
    """Rebuild a model saved with ``model.save``: architecture, weights, compile settings and metadata.

    Parameters
    ----------
    custom_objects : dict, optional
        Classes that are not registered with ``@register_serializable`` (name → class).
    compile : bool, default=True
        Re-apply the saved optimizer/loss/metrics so ``fit``/``evaluate`` work at once.
    device : str, optional
        Where to put the weights (default CPU; ``fit``/``predict`` move them as needed).
    """
    payload = _read(filepath, "model")
    if payload.get("format") != FORMAT:
        raise DataError(f"{str(filepath)!r} holds weights only; build the model and call model.load_weights().")
    try:
        model = deserialize(current_module_paths(payload["architecture"]), custom_objects)
    except ConfigError as exc:
        raise ConfigError(f"Cannot rebuild the model saved in {str(filepath)!r}: {exc}") from None
    _load_state(model, payload["state_dict"], filepath)
    model.metadata = dict(payload.get("metadata") or {})
    model.saved_with_ = {"matnn": payload.get("matnn_version"), "torch": payload.get("torch_version")}
    cfg = payload.get("compile")
    if compile and cfg:
        from matnn.core import optimizers

        loss = cfg["loss"]
        if isinstance(loss, dict):
            loss = deserialize(loss)
        model.compile(
            optimizer=optimizers.get(cfg["optimizer"]),
            loss=loss,
            metrics=cfg.get("metrics") or None,
            loss_weights=cfg.get("loss_weights"),
        )
        if "optimizer_state" in payload:
            model.optimizer.build(model.parameters())
            model.optimizer.load_state_dict(payload["optimizer_state"])
    if device is not None:
        from matnn.config import resolve_device

        model.to(resolve_device(device))
    model.eval()
    return model


def _load_state(model: torch.nn.Module, state: dict[str, torch.Tensor], filepath: Any) -> None:
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        raise DataError(
            f"The weights in {str(filepath)!r} do not fit the architecture: missing {missing[:5]}, unexpected {unexpected[:5]}."
        )
    for k, v in state.items():
        if tuple(own[k].shape) != tuple(v.shape):
            raise DataError(
                f"The weight '{k}' in {str(filepath)!r} has shape {tuple(v.shape)}; the model expects {tuple(own[k].shape)}."
            )
    model.load_state_dict(state)


def save_weights(model: torch.nn.Module, filepath: str | os.PathLike) -> Path:
    """Save only the weights and buffers (no architecture)."""
    from matnn import __version__

    path = Path(filepath)
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT + ".weights", "matnn_version": __version__, "state_dict": _cpu_state(model)}, tmp)
    return path


def load_weights(model: torch.nn.Module, filepath: str | os.PathLike) -> None:
    """Load weights saved by :func:`save_weights` or :func:`save_model` into an identical architecture."""
    payload = _read(filepath, "weights")
    _load_state(model, payload["state_dict"], filepath)
