"""Image classifiers of the lectures: LeNet-style CNN, the lecture's dropout CNN, and the lines-toy pair.

All are ``matnn.Sequential`` stacks on channels-last images ``(height, width, channels)`` ending in a
softmax over the classes (train with ``loss='sparse_categorical_crossentropy'``).
"""

from __future__ import annotations

from matnn.core.exceptions import ConfigError

__all__ = ["lenet", "lecture_dropout_cnn", "lines_dense", "lines_cnn"]


def _check_shape(input_shape: tuple[int, int, int], owner: str) -> tuple[int, int, int]:
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ConfigError(
            f"The 'input_shape' of {owner} must be (height, width, channels). Got {input_shape!r} instead."
        )
    return shape  # type: ignore[return-value]


def lenet(input_shape: tuple[int, int, int] = (8, 8, 1), n_classes: int = 10, *, dropout: float = 0.4):
    """LeNet-style CNN: two convolution blocks with max pooling, then two dense layers.

    ``Conv2D(32, 3) → Conv2D(32, 3) → MaxPool(2) → Conv2D(64, 3) → MaxPool(2) → Dense(128) → Dropout → softmax``,
    'same' padding and ReLU throughout (LeNet-5's conv–pool–conv–pool–dense pattern with the modern
    ReLU/max-pool/dropout choices; 3 x 3 kernels because 8 x 8 digits are too small for LeNet's 5 x 5).
    The first layer's 32 filters are what :func:`matnn.workflows.images.digits.plot_filters` shows.

    Parameters
    ----------
    input_shape : (int, int, int), default=(8, 8, 1)
        ``(28, 28, 1)`` for MNIST.
    n_classes : int, default=10
    dropout : float, default=0.4
        Dropout rate before the output layer.
    """
    import matnn
    from matnn.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D

    shape = _check_shape(input_shape, "lenet")
    return matnn.Sequential(
        [
            Conv2D(32, 3, padding="same", activation="relu", input_shape=shape),
            Conv2D(32, 3, padding="same", activation="relu"),
            MaxPooling2D(2),
            Conv2D(64, 3, padding="same", activation="relu"),
            MaxPooling2D(2),
            Flatten(),
            Dense(128, activation="relu"),
            Dropout(dropout),
            Dense(n_classes, activation="softmax"),
        ],
        name="lenet",
    )


def lecture_dropout_cnn(input_shape: tuple[int, int, int] = (8, 8, 1), n_classes: int = 10, *, dropout: float = 0.25):
    """The lecture's Keras CNN with dropout: ``Conv2D(64, 3) → Conv2D(32, 3) → Dropout → Flatten → softmax``.

    Written as in the lecture (``Conv2D(64, kernel_size=3, activation='relu', input_shape=(8, 8, 1))``,
    'valid' padding, no pooling), with a dropout layer before the classifier.
    """
    import matnn
    from matnn.layers import Conv2D, Dense, Dropout, Flatten

    shape = _check_shape(input_shape, "lecture_dropout_cnn")
    return matnn.Sequential(
        [
            Conv2D(64, kernel_size=3, activation="relu", input_shape=shape),
            Conv2D(32, kernel_size=3, activation="relu"),
            Dropout(dropout),
            Flatten(),
            Dense(n_classes, activation="softmax"),
        ],
        name="lecture_dropout_cnn",
    )


def lines_dense(input_shape: tuple[int, int, int] = (12, 12, 1), hidden: int = 32):
    """Dense network on flattened pixels for the lines toy (no notion of neighbouring pixels)."""
    import matnn
    from matnn.layers import Dense, Flatten

    shape = _check_shape(input_shape, "lines_dense")
    return matnn.Sequential(
        [Flatten(input_shape=shape), Dense(hidden, activation="relu"), Dense(2, activation="softmax")],
        name="lines_dense",
    )


def lines_cnn(input_shape: tuple[int, int, int] = (12, 12, 1), filters: int = 4):
    """Small CNN for the lines toy: one 3 x 3 convolution, global max pooling, softmax.

    The same filters are applied at every position and the pooling keeps only *whether* a pattern
    occurred, not *where*, so a line is recognised wherever it appears.
    """
    import matnn
    from matnn.layers import Conv2D, Dense, GlobalMaxPooling2D

    if filters < 1:
        raise ConfigError(f"'filters' of lines_cnn must be a positive integer. Got {filters!r} instead.")
    shape = _check_shape(input_shape, "lines_cnn")
    return matnn.Sequential(
        [
            Conv2D(filters, 3, padding="same", activation="relu", input_shape=shape),
            GlobalMaxPooling2D(),
            Dense(2, activation="softmax"),
        ],
        name="lines_cnn",
    )
