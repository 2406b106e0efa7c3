"""Backpropagation written out term by term in NumPy, for a small fully connected network.

Notation (layer ``l = 1 … L``, one row per sample in the batch of ``n``)::

    z⁽ˡ⁾ = a⁽ˡ⁻¹⁾ W⁽ˡ⁾ᵀ + b⁽ˡ⁾          weighted input,   shape (n, units_l)
    a⁽ˡ⁾ = σ(z⁽ˡ⁾)                       activation,       a⁽⁰⁾ = x
    C    = (1/n) Σ_samples Σ_j (a_j⁽ᴸ⁾ − y_j)²   cost: squared error, averaged over the batch

The chain rule, read from the cost back to each weight, gives for the last layer::

    ∂C/∂w_jk⁽ᴸ⁾ = (1/n) Σ_samples  a_k⁽ᴸ⁻¹⁾ · σ′(z_j⁽ᴸ⁾) · 2(a_j⁽ᴸ⁾ − y_j)
                              ∂z/∂w       ∂a/∂z        ∂C/∂a

and for an earlier layer the last factor is replaced by how the cost changes with that neuron's
activation, collected from every neuron it feeds::

    ∂C/∂a_k⁽ˡ⁻¹⁾ = Σ_j w_jk⁽ˡ⁾ · σ′(z_j⁽ˡ⁾) · ∂C/∂a_j⁽ˡ⁾          (per sample)

Biases are the same with ``∂z/∂b = 1`` in place of ``a_k⁽ˡ⁻¹⁾``.  :meth:`GlassBoxMLP.backward` computes
exactly these products (vectorised over the batch) and keeps each factor so it can be inspected and
plotted; the gradients equal PyTorch autograd's to ~1e-15 in float64.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matnn.core.exceptions import ConfigError, ShapeError
from matnn.fundamentals._validation import as_features, as_targets, check_positive
from matnn.fundamentals.activations import get_activation

__all__ = ["GlassBoxMLP", "ForwardCache", "Gradients", "autograd_gradients", "gradient_norms_by_depth", "run_demo"]


@dataclass
class ForwardCache:
    """What the forward pass keeps for the backward pass.

    Attributes
    ----------
    a : list of ndarray
        ``a[0] = x`` of shape (n, n_inputs), then ``a[l]`` of shape (n, units_l) for l = 1 … L.
    z : list of ndarray
        ``z[l]`` for l = 1 … L (``z[0]`` is ``None``).
    """

    a: list[np.ndarray]
    z: list[np.ndarray | None]


@dataclass
class Gradients:
    """Gradients of the cost and the factors that make them, layer by layer (index l = 1 … L; 0 unused).

    Attributes
    ----------
    dW : list of ndarray
        ``dW[l]`` = ∂C/∂W⁽ˡ⁾, shape (units_l, units_{l−1}).
    db : list of ndarray
        ``db[l]`` = ∂C/∂b⁽ˡ⁾, shape (units_l,).
    dC_da : list of ndarray
        ``dC_da[l]`` = ∂C/∂a⁽ˡ⁾ for each sample (the 1/n average excluded), shape (n, units_l).
    sigma_prime : list of ndarray
        ``sigma_prime[l]`` = σ′(z⁽ˡ⁾), shape (n, units_l).
    """

    dW: list[np.ndarray | None]
    db: list[np.ndarray | None]
    dC_da: list[np.ndarray | None] = field(repr=False)
    sigma_prime: list[np.ndarray | None] = field(repr=False)


class GlassBoxMLP:
    """A fully connected network whose forward and backward passes are plain NumPy.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_inputs, hidden_1, …, hidden_k, n_outputs]``; at least one hidden layer.
    activation : str, default='tanh'
        Hidden-layer activation: 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'elu', 'softplus' or 'linear'.
    output_activation : str, default='linear'
        Activation of the output layer ('linear' for regression, 'sigmoid' for a 0–1 output).
    seed : int, default=0
        Seed of the initial weights (Glorot-uniform, as Keras' Dense; zero biases).

    Attributes
    ----------
    weights : list of ndarray
        ``weights[l-1]`` = W⁽ˡ⁾ of shape (units_l, units_{l−1}) (PyTorch's ``Linear.weight`` layout).
    biases : list of ndarray
        ``biases[l-1]`` = b⁽ˡ⁾ of shape (units_l,).
    """

    def __init__(
        self,
        layer_sizes: list[int] | tuple[int, ...],
        *,
        activation: str = "tanh",
        output_activation: str = "linear",
        seed: int = 0,
    ) -> None:
        sizes = list(layer_sizes)
        if len(sizes) < 3 or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
            raise ConfigError(
                "The 'layer_sizes' parameter of GlassBoxMLP must be [n_inputs, hidden..., n_outputs] with at least "
                f"one hidden layer and positive integers. Got {layer_sizes!r} instead."
            )
        for name, value in (("activation", activation), ("output_activation", output_activation)):
            if str(value).lower() == "step":
                raise ConfigError(
                    f"The '{name}' parameter of GlassBoxMLP cannot be 'step': its derivative is 0 everywhere, so "
                    "backpropagation gets no signal (see matnn.fundamentals.perceptron for the step neuron)."
                )
        self.layer_sizes = [int(s) for s in sizes]
        self.activation = activation
        self.output_activation = output_activation
        self._sigma, self._dsigma = get_activation(activation)
        self._sigma_out, self._dsigma_out = get_activation(output_activation)
        rng = np.random.default_rng(seed)
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True):
            limit = np.sqrt(6.0 / (n_in + n_out))  # Glorot uniform: keeps activation variance ~ constant
            self.weights.append(rng.uniform(-limit, limit, (n_out, n_in)))
            self.biases.append(np.zeros(n_out))

    @property
    def n_layers(self) -> int:
        """L, the number of weight layers."""
        return len(self.weights)

    def _act(self, layer: int) -> tuple:
        return (self._sigma_out, self._dsigma_out) if layer == self.n_layers else (self._sigma, self._dsigma)

    def _check_x(self, X: np.ndarray) -> np.ndarray:
        X = as_features(X, owner="GlassBoxMLP")
        if X.shape[1] != self.layer_sizes[0]:
            raise ShapeError(
                f"GlassBoxMLP expects {self.layer_sizes[0]} input features; X has {X.shape[1]} (shape {X.shape})."
            )
        return X

    def _check_y(self, y: np.ndarray, n: int) -> np.ndarray:
        Y = as_targets(y, n, owner="GlassBoxMLP", allow_2d=True)
        if Y.ndim == 1:
            Y = Y[:, None]
        if Y.shape[1] != self.layer_sizes[-1]:
            raise ShapeError(
                f"GlassBoxMLP has {self.layer_sizes[-1]} outputs; y has {Y.shape[1]} columns (shape {Y.shape})."
            )
        return Y

    def forward(self, X: np.ndarray) -> ForwardCache:
        """Run the network on ``X`` of shape (n, n_inputs), keeping every z⁽ˡ⁾ and a⁽ˡ⁾."""
        a: list[np.ndarray] = [self._check_x(X)]
        z: list[np.ndarray | None] = [None]
        for l in range(1, self.n_layers + 1):
            sigma, _ = self._act(l)
            z.append(a[l - 1] @ self.weights[l - 1].T + self.biases[l - 1])  # z⁽ˡ⁾ = a⁽ˡ⁻¹⁾W⁽ˡ⁾ᵀ + b⁽ˡ⁾
            a.append(sigma(z[l]))  # a⁽ˡ⁾ = σ(z⁽ˡ⁾)
        return ForwardCache(a=a, z=z)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Network output a⁽ᴸ⁾, shape (n, n_outputs)."""
        return self.forward(X).a[-1]

    def cost(self, X: np.ndarray, y: np.ndarray) -> float:
        """``C = (1/n) Σ_samples Σ_outputs (a⁽ᴸ⁾ − y)²``."""
        out = self.predict(X)
        Y = self._check_y(y, out.shape[0])
        return float(np.mean(np.sum((out - Y) ** 2, axis=1)))

    def backward(self, cache: ForwardCache, y: np.ndarray) -> Gradients:
        """Backpropagate the cost of the batch in ``cache`` to every weight and bias, term by term."""
        a, z = cache.a, cache.z
        n = a[0].shape[0]
        Y = self._check_y(y, n)
        L = self.n_layers
        dW: list[np.ndarray | None] = [None] * (L + 1)
        db: list[np.ndarray | None] = [None] * (L + 1)
        dC_da: list[np.ndarray | None] = [None] * (L + 1)
        s_prime: list[np.ndarray | None] = [None] * (L + 1)

        dC_da[L] = 2.0 * (a[L] - Y)  # ∂C₀/∂a⁽ᴸ⁾ = 2(a⁽ᴸ⁾ − y), per sample
        for l in range(L, 0, -1):
            _, dsigma = self._act(l)
            s_prime[l] = dsigma(z[l])  # ∂a⁽ˡ⁾/∂z⁽ˡ⁾ = σ′(z⁽ˡ⁾)
            delta = s_prime[l] * dC_da[l]  # ∂C₀/∂z⁽ˡ⁾ = σ′(z⁽ˡ⁾)·∂C₀/∂a⁽ˡ⁾, shape (n, units_l)
            # ∂C/∂w_jk = (1/n) Σ_samples a_k⁽ˡ⁻¹⁾ · σ′(z_j⁽ˡ⁾) · ∂C₀/∂a_j⁽ˡ⁾   (∂z_j/∂w_jk = a_k⁽ˡ⁻¹⁾)
            dW[l] = delta.T @ a[l - 1] / n
            db[l] = delta.sum(axis=0) / n  # ∂z_j/∂b_j = 1
            if l > 1:
                # ∂C₀/∂a_k⁽ˡ⁻¹⁾ = Σ_j w_jk⁽ˡ⁾ · σ′(z_j⁽ˡ⁾) · ∂C₀/∂a_j⁽ˡ⁾   (∂z_j/∂a_k = w_jk)
                dC_da[l - 1] = delta @ self.weights[l - 1]
        return Gradients(dW=dW, db=db, dC_da=dC_da, sigma_prime=s_prime)

    def gradients(self, X: np.ndarray, y: np.ndarray) -> Gradients:
        """Forward then backward on one batch."""
        return self.backward(self.forward(X), y)

    def train(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        epochs: int = 1000,
        learning_rate: float = 0.05,
        batch_size: int | None = 32,
        seed: int = 0,
    ) -> np.ndarray:
        """Mini-batch stochastic gradient descent with the hand-written gradients.

        Parameters
        ----------
        X : ndarray of shape (n, n_inputs)
        y : ndarray of shape (n, n_outputs) or (n,)
        epochs : int, default=1000
        learning_rate : float, default=0.05
        batch_size : int or None, default=32
            ``None`` uses the whole data set (full-batch gradient descent).
        seed : int, default=0
            Seed of the shuffling.

        Returns
        -------
        ndarray of shape (epochs,)
            Cost on the whole training set after each epoch.
        """
        X = self._check_x(X)
        Y = self._check_y(y, X.shape[0])
        check_positive(epochs, owner="GlassBoxMLP.train", name="epochs", integer=True)
        check_positive(learning_rate, owner="GlassBoxMLP.train", name="learning_rate")
        n = X.shape[0]
        bs = n if batch_size is None else int(batch_size)
        check_positive(bs, owner="GlassBoxMLP.train", name="batch_size", integer=True)
        rng = np.random.default_rng(seed)
        history = np.empty(epochs)
        for epoch in range(epochs):
            order = rng.permutation(n)
            for start in range(0, n, bs):
                idx = order[start : start + bs]
                g = self.gradients(X[idx], Y[idx])
                for l in range(1, self.n_layers + 1):
                    self.weights[l - 1] -= learning_rate * g.dW[l]
                    self.biases[l - 1] -= learning_rate * g.db[l]
            history[epoch] = self.cost(X, Y)
            if not np.isfinite(history[epoch]):
                from matnn.core.exceptions import DivergenceError

                raise DivergenceError(
                    f"GlassBoxMLP.train diverged in epoch {epoch} (cost {history[epoch]}); lower learning_rate={learning_rate:g}.",
                    epoch=epoch,
                )
        return history


_TORCH_ACT = {
    "linear": lambda t, F: t,
    "sigmoid": lambda t, F: F.sigmoid(t),
    "tanh": lambda t, F: F.tanh(t),
    "relu": lambda t, F: F.relu(t),
    "leaky_relu": lambda t, F: F.leaky_relu(t, 0.01),
    "elu": lambda t, F: F.elu(t, 1.0),
    "softplus": lambda t, F: F.softplus(t),
}


def autograd_gradients(net: GlassBoxMLP, X: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The reference: the same cost differentiated by PyTorch autograd, in float64.

    Returns
    -------
    dW, db : lists of ndarray
        ``dW[l-1]`` = ∂C/∂W⁽ˡ⁾ and ``db[l-1]`` = ∂C/∂b⁽ˡ⁾ for l = 1 … L.
    """
    import torch
    import torch.nn.functional as F

    Ws = [torch.tensor(W, dtype=torch.float64, requires_grad=True) for W in net.weights]
    bs = [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in net.biases]
    a = torch.as_tensor(net._check_x(X), dtype=torch.float64)
    Y = torch.as_tensor(net._check_y(y, a.shape[0]), dtype=torch.float64)
    for l, (W, b) in enumerate(zip(Ws, bs, strict=True), start=1):
        name = str(net.output_activation if l == net.n_layers else net.activation).lower().replace("-", "_")
        a = _TORCH_ACT[name](F.linear(a, W, b), F)
    cost = ((a - Y) ** 2).sum(dim=1).mean()
    cost.backward()
    return [W.grad.numpy() for W in Ws], [b.grad.numpy() for b in bs]


def gradient_norms_by_depth(
    activation: str, *, depth: int = 6, width: int = 32, n_samples: int = 64, seed: int = 0
) -> dict[str, np.ndarray]:
    """Per-layer size of the backprop factors at initialisation, for a deep network.

    Builds ``[4, width × depth, 1]`` with Glorot weights on random inputs and targets and returns,
    for each layer l = 1 … L, the Frobenius norm of ∂C/∂W⁽ˡ⁾ and the batch means of |a⁽ˡ⁻¹⁾|,
    σ′(z⁽ˡ⁾) and |∂C₀/∂a⁽ˡ⁾|: the three factors of the chain rule.  With sigmoid the σ′ ≤ 1/4 factor
    multiplies at every layer and the gradient shrinks towards the input (vanishing gradients).

    Returns
    -------
    dict of ndarray of shape (L,)
        Keys 'grad_norm', 'mean_abs_a_prev', 'mean_sigma_prime', 'mean_abs_dC_da'.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, 4))
    y = rng.standard_normal((n_samples, 1))
    net = GlassBoxMLP([4] + [width] * depth + [1], activation=activation, seed=seed)
    cache = net.forward(X)
    g = net.backward(cache, y)
    L = net.n_layers
    return {
        "grad_norm": np.array([np.linalg.norm(g.dW[l]) for l in range(1, L + 1)]),
        "mean_abs_a_prev": np.array([np.mean(np.abs(cache.a[l - 1])) for l in range(1, L + 1)]),
        "mean_sigma_prime": np.array([np.mean(g.sigma_prime[l]) for l in range(1, L + 1)]),
        "mean_abs_dC_da": np.array([np.mean(np.abs(g.dC_da[l])) for l in range(1, L + 1)]),
    }


def run_demo(
    out_dir: str | Path,
    *,
    seed: int = 0,
    activation: str = "tanh",
    hidden: tuple[int, ...] = (16, 16),
    epochs: int = 5000,
    learning_rate: float = 0.05,
) -> dict[str, float]:
    """Train a glass-box network on ``y = sin(2πx)``, check its gradients against autograd, and
    show how the backprop factors behave layer by layer for sigmoid, tanh and relu.

    Writes ``backprop.png`` (fit; cost per epoch; gradient norm per layer for three activations;
    the three chain-rule factors per layer) and ``metrics.json``.
    """
    from matnn.utils.io import write_metrics
    from matnn.utils.plotting import plt, save_figure
    from matnn.utils.progress import progress

    out = Path(out_dir)
    rng = np.random.default_rng(seed)
    X = np.sort(rng.uniform(0.0, 1.0, 64))[:, None]
    y = np.sin(2 * np.pi * X)
    net = GlassBoxMLP([1, *hidden, 1], activation=activation, seed=seed)

    # The check first, at the initial weights (and again after training, below).
    dW_ref, db_ref = autograd_gradients(net, X, y)
    g = net.gradients(X, y)
    err_init = max(
        max(np.max(np.abs(g.dW[l] - dW_ref[l - 1])), np.max(np.abs(g.db[l] - db_ref[l - 1])))
        for l in range(1, net.n_layers + 1)
    )

    history = np.empty(epochs)
    chunk = max(1, epochs // 20)
    done = 0
    for _ in progress(range(0, epochs, chunk), desc="backprop demo: training"):
        k = min(chunk, epochs - done)
        history[done : done + k] = net.train(
            X, y, epochs=k, learning_rate=learning_rate, batch_size=16, seed=seed + done
        )
        done += k

    dW_ref, db_ref = autograd_gradients(net, X, y)
    g = net.gradients(X, y)
    err_trained = max(
        max(np.max(np.abs(g.dW[l] - dW_ref[l - 1])), np.max(np.abs(g.db[l] - db_ref[l - 1])))
        for l in range(1, net.n_layers + 1)
    )
    depth_stats = {act: gradient_norms_by_depth(act, seed=seed) for act in ("sigmoid", "tanh", "relu")}

    metrics: dict[str, float] = {
        "activation": activation,
        "layer_sizes": "-".join(str(s) for s in net.layer_sizes),
        "epochs": epochs,
        "learning_rate": learning_rate,
        "cost_initial": float(net.cost(X, y) if epochs == 0 else history[0]),
        "cost_final": float(history[-1]),
        "max_abs_grad_diff_vs_autograd_init": float(err_init),
        "max_abs_grad_diff_vs_autograd_trained": float(err_trained),
    }
    for act, st in depth_stats.items():
        metrics[f"deep_{act}_grad_norm_first_layer"] = float(st["grad_norm"][0])
        metrics[f"deep_{act}_grad_norm_last_layer"] = float(st["grad_norm"][-1])
        metrics[f"deep_{act}_first_over_last"] = float(st["grad_norm"][0] / st["grad_norm"][-1])

    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    ax = axes[0, 0]
    grid = np.linspace(0, 1, 200)[:, None]
    ax.scatter(X[:, 0], y[:, 0], s=12, c="k", label="training points")
    ax.plot(grid[:, 0], net.predict(grid)[:, 0], "r-", label=f"network {metrics['layer_sizes']} ({activation})")
    ax.set(xlabel="x", ylabel="y", title="Fit of y = sin(2πx) with hand-written backprop")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    ax.semilogy(np.arange(1, epochs + 1), history)
    ax.set(
        xlabel="epoch",
        ylabel="cost C (mean squared error)",
        title=f"Training; |grad − autograd| ≤ {max(err_init, err_trained):.1e}",
    )
    ax = axes[1, 0]
    for act, st in depth_stats.items():
        ax.semilogy(np.arange(1, len(st["grad_norm"]) + 1), st["grad_norm"], "o-", label=act)
    ax.set(
        xlabel="layer l (1 = next to the input)",
        ylabel="‖∂C/∂W⁽ˡ⁾‖",
        title="Gradient size per layer at initialisation (6 hidden layers)",
    )
    ax.legend()
    ax = axes[1, 1]
    st = depth_stats["sigmoid"]
    layers = np.arange(1, len(st["grad_norm"]) + 1)
    width = 0.27
    ax.bar(layers - width, st["mean_abs_a_prev"], width, label="mean |a⁽ˡ⁻¹⁾|  (∂z/∂w)")
    ax.bar(layers, st["mean_sigma_prime"], width, label="mean σ′(z⁽ˡ⁾)  (∂a/∂z)")
    ax.bar(layers + width, st["mean_abs_dC_da"], width, label="mean |∂C₀/∂a⁽ˡ⁾|")
    ax.set_yscale("log")
    ax.set(xlabel="layer l", ylabel="size of the factor", title="The three chain-rule factors (sigmoid network)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out / "backprop.png")
    write_metrics(out, metrics)
    return metrics
