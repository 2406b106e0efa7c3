"""``matnn fundamentals <demo>``: the glass-box lectures, each writing a figure and metrics.json.

Every action is a thin wrapper over ``matnn.fundamentals.<topic>.run_demo`` (imported lazily).
"""

from __future__ import annotations

import argparse
from typing import Any

from matnn.cli.common import add_action, area_parser, positive_float, positive_int

HELP = (
    "glass-box fundamentals: linear/logistic regression, perceptron, backprop, capacity, approximation, "
    "Hopfield network, restricted Boltzmann machine"
)

_HIDDEN_ACTS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus")
_TARGETS = ("sin", "cos", "abs", "x_sin_x", "gaussian")  # kept in sync with approximation.TARGETS (tested)


def _layer_list(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive integers such as 16,16; got {text!r}"
        ) from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers such as 16,16; got {text!r}")
    return sizes


_layer_list.__name__ = "layer sizes"


def _report(name: str, args: argparse.Namespace, metrics: dict[str, Any]) -> dict[str, Any]:
    if not args.quiet:
        from matnn.fundamentals.demos import evaluate_checks

        print(f"{name}: wrote figure(s) and metrics.json to {args.out}")
        for desc, ok in evaluate_checks(name, metrics).items():
            print(f"  {'PASS' if ok else 'FAIL'}: {desc}")
    return metrics


def _handler(name: str, option_names: tuple[str, ...]):
    def handle(args: argparse.Namespace) -> dict[str, Any]:
        from matnn.fundamentals.demos import run_demo

        options = {opt: getattr(args, opt) for opt in option_names}
        return _report(name, args, run_demo(name, args.out, seed=args.seed, **options))

    return handle


def _handle_all(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.fundamentals.demos import run_all

    summary = run_all(args.out, seed=args.seed, show_progress=not args.quiet)
    if not args.quiet:
        print((args.out / "summary.md").read_text(encoding="utf-8"))
        print(f"All checks passed: {summary['all_checks_passed']}. Details in {args.out}/summary.md and metrics.json.")
    return summary


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = area_parser(subparsers, "fundamentals", HELP)

    p = add_action(
        actions,
        "linear-regression",
        _handler("linear-regression", ("n_samples",)),
        "linear regression: closed form (Cov/Var, normal equations) vs gradient descent",
    )
    p.add_argument("--n-samples", type=positive_int, default=100, help="data points (default 100)")

    p = add_action(
        actions,
        "logistic-regression",
        _handler("logistic-regression", ("n_samples", "separation")),
        "logistic regression: log loss, gradient descent, decision boundary, check vs scikit-learn",
    )
    p.add_argument("--n-samples", type=positive_int, default=200, help="data points (default 200)")
    p.add_argument(
        "--separation",
        type=positive_float,
        default=2.0,
        help="distance between the two class centres, in units of their spread (default 2.0; overlapping)",
    )

    p = add_action(
        actions,
        "perceptron",
        _handler("perceptron", ("max_epochs",)),
        "Rosenblatt's perceptron: converges on separable data, reports non-convergence on XOR",
    )
    p.add_argument("--max-epochs", type=positive_int, default=100, help="give up after this many epochs (default 100)")

    add_action(
        actions,
        "activations",
        _handler("activations", ()),
        "activation functions and their derivatives (checked against autograd); softmax temperature",
    )

    p = add_action(
        actions,
        "backprop",
        _handler("backprop", ("activation", "hidden", "epochs", "learning_rate")),
        "backpropagation written out in NumPy, equal to torch autograd; per-layer gradient terms",
    )
    p.add_argument("--activation", choices=_HIDDEN_ACTS, default="tanh", help="hidden-layer activation (default tanh)")
    p.add_argument("--hidden", type=_layer_list, default=(16, 16), help="hidden layer widths, e.g. 16,16 (default)")
    p.add_argument("--epochs", type=positive_int, default=5000, help="training epochs (default 5000)")
    p.add_argument("--learning-rate", type=positive_float, default=0.05, help="SGD step size (default 0.05)")

    p = add_action(
        actions,
        "capacity",
        _handler("capacity", ("max_degree", "networks")),
        "underfitting vs overfitting: train/validation error against polynomial degree and network width",
    )
    p.add_argument("--max-degree", type=positive_int, default=15, help="highest polynomial degree, < 20 (default 15)")
    p.add_argument(
        "--no-networks",
        dest="networks",
        action="store_false",
        help="skip the network-width curve (polynomials only, ~3 s)",
    )

    p = add_action(
        actions,
        "approximation",
        _handler("approximation", ("target", "epochs")),
        "universal approximation in 1-D: four ReLU fits agree in range and diverge outside it",
    )
    p.add_argument("--target", choices=_TARGETS, default="sin", help="function to fit on [-pi, pi] (default sin)")
    p.add_argument("--epochs", type=positive_int, default=300, help="training epochs per network (default 300)")

    p = add_action(
        actions,
        "hopfield",
        _handler("hopfield", ("n_units", "flip_fraction")),
        "Hopfield network: Hebbian storage, asynchronous recall, energy that never rises, capacity vs P/N",
    )
    p.add_argument(
        "--n-units",
        type=positive_int,
        default=800,
        help="largest network for the capacity curves, >= 80; also N/2, N/4, N/8 are run (default 800)",
    )
    p.add_argument(
        "--flip-fraction",
        type=positive_float,
        default=0.15,
        help="fraction of a stored digit's pixels flipped in the recall cue, < 0.5 (default 0.15)",
    )

    p = add_action(
        actions,
        "rbm",
        _handler("rbm", ("hidden", "cd_k", "epochs", "learning_rate")),
        "restricted Boltzmann machine on binarised digits: CD-k, reconstructions, samples, free energy",
    )
    p.add_argument("--hidden", type=positive_int, default=64, help="hidden units (default 64)")
    p.add_argument("--cd-k", type=positive_int, default=1, help="Gibbs steps per CD update (default 1)")
    p.add_argument("--epochs", type=positive_int, default=30, help="passes over the 1,438 training digits (default 30)")
    p.add_argument("--learning-rate", type=positive_float, default=0.05, help="CD step size (default 0.05)")

    add_action(actions, "all", _handle_all, "run every demo into <out>/<demo>/ and write summary.md and metrics.json")
