"""Glass-box fundamentals: the first half of a neural-network course, written out in NumPy.

One module per lesson, each with the mathematics as plain functions and a ``run_demo(out_dir, seed=)``
that writes a figure and ``metrics.json`` (also ``matnn fundamentals <demo> --out DIR``):

* :mod:`~matnn.fundamentals.linear_regression` — closed form and gradient descent, agreeing;
* :mod:`~matnn.fundamentals.logistic_regression` — log loss and its gradient, decision boundary;
* :mod:`~matnn.fundamentals.perceptron` — Rosenblatt's rule, convergence and its failure on XOR;
* :mod:`~matnn.fundamentals.activations` — activations, derivatives, softmax temperature;
* :mod:`~matnn.fundamentals.backprop` — backpropagation term by term, equal to autograd;
* :mod:`~matnn.fundamentals.capacity` — underfitting and overfitting;
* :mod:`~matnn.fundamentals.approximation` — universal approximation and out-of-range failure;
* :mod:`~matnn.fundamentals.convolution` — convolution, padding and pooling in NumPy, equal to torch;
* :mod:`~matnn.fundamentals.kernels` — the lecture's worked example, quiz kernels, Gaussian, Sobel, Laplacian;
* :mod:`~matnn.fundamentals.filters` — those filters on real images and a hand-made vertical-line classifier;
* :mod:`~matnn.fundamentals.hopfield` — associative memory, energy descent, capacity ≈ 0.138 N;
* :mod:`~matnn.fundamentals.rbm` — restricted Boltzmann machine, contrastive divergence, free energy;
* :mod:`~matnn.fundamentals.lenet` — LeNet-1 and LeNet-5 as published (partial connection tables,
  trainable subsampling, RBF outputs), with their parameter and connection counts.

PyTorch appears only as the reference the hand-written derivatives are checked against, in the
two demos that train real networks with ``matnn.Sequential`` (capacity, approximation), and as the
tensor library of the RBM (its updates are written out, not autograd).
"""

from __future__ import annotations

from matnn.fundamentals.demos import CHECKS, DEMOS, run_all, run_demo

__all__ = ["DEMOS", "CHECKS", "run_demo", "run_all"]
