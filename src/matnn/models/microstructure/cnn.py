"""Architectures for microstructure images: property regression, inpainting, image → curve.

* :func:`tortuosity_cnn` — image ``(H, W, 1)``, or image + percolating-cluster mask ``(H, W, 2)`` → one number (log τ).
* :func:`inpainting_cnn` / :func:`lecture_inpainting_cnn` — map with missing pixels → full map.
* :func:`profile_encoder_decoder` — 2D convolutional encoder, 1D convolutional decoder: image → curve
  (the lecture's ferroelectric architecture, here for the through-plane concentration profile).
* :func:`microstructure_autoencoder` — image → a few latent numbers → image (bottleneck autoencoder).

All are ``matnn.Sequential`` stacks on channels-last inputs, so ``matnn.load_model`` restores them.
"""

from __future__ import annotations

from matnn.core.exceptions import ConfigError

__all__ = [
    "tortuosity_cnn",
    "inpainting_cnn",
    "lecture_inpainting_cnn",
    "profile_encoder_decoder",
    "microstructure_autoencoder",
]


def _size(size: int, name: str, multiple: int = 1) -> int:
    if not isinstance(size, int) or size < multiple or size % multiple:
        raise ConfigError(f"'{name}' must be a positive integer divisible by {multiple}. Got {size!r} instead.")
    return size


def tortuosity_cnn(size: int = 64, *, width: int = 16, dense: int = 64, channels: int = 1):
    """CNN regressing one scalar (log τ) from a binary microstructure ``(size, size, channels)``.

    Two 3 x 3 convolutions at full resolution (a one-pixel neck decides the flux, so the first layers
    must see single pixels), then four convolution + max-pool stages doubling the channels, global
    average pooling and a small dense head. Batch normalisation after each convolution.

    Parameters
    ----------
    size : int, default=64
        Image side in pixels (divisible by 16).
    width : int, default=16
        Channels of the first stage (then 2x, 4x, 8x).
    dense : int, default=64
        Units of the hidden dense layer.
    channels : int, default=1
        Input channels: 1 (the binary image) or 2 (image and its percolating-cluster mask).
    """
    import matnn
    from matnn.layers import BatchNormalization, Conv2D, Dense, GlobalAveragePooling2D, MaxPooling2D

    size = _size(size, "size", 16)

    def block(filters: int, **kw):
        return [
            Conv2D(filters, 3, padding="same", use_bias=False, **kw),
            BatchNormalization(),
            matnn.layers.Activation("relu"),
        ]

    layers = [*block(width, input_shape=(size, size, int(channels))), *block(width)]
    for k in range(4):
        layers += [MaxPooling2D(2), *block(width * 2 ** min(k + 1, 3))]
    layers += [GlobalAveragePooling2D(), Dense(dense, activation="relu"), Dense(1)]
    return matnn.Sequential(layers, name="tortuosity_cnn")


def lecture_inpainting_cnn(size: int = 50, *, filters: int = 16):
    """The lecture's small inpainting CNN: map with missing pixels set to 0 ``(size, size, 1)`` → full map.

    ``Conv2D(filters, 3, relu) → Conv2D(filters, 3, relu) → Conv2D(1, 3)``, all 'same' padding.
    """
    import matnn
    from matnn.layers import Conv2D

    size = _size(size, "size")
    return matnn.Sequential(
        [
            Conv2D(filters, 3, padding="same", activation="relu", input_shape=(size, size, 1)),
            Conv2D(filters, 3, padding="same", activation="relu"),
            Conv2D(1, 3, padding="same"),
        ],
        name="lecture_inpainting_cnn",
    )


def inpainting_cnn(size: int = 50, *, filters: int = 32, depth: int = 4):
    """Inpainting CNN taking two channels, (map with missing pixels = 0, known-pixel mask) → full map.

    ``depth`` 'same' 3 x 3 convolutions with ``filters`` channels (ReLU) and a linear 1-channel output.
    The mask channel tells the network which zeros are measurements and which are gaps.
    """
    import matnn
    from matnn.layers import Conv2D

    size = _size(size, "size")
    if depth < 1:
        raise ConfigError(f"'depth' must be >= 1. Got {depth!r} instead.")
    layers = [Conv2D(filters, 3, padding="same", activation="relu", input_shape=(size, size, 2))]
    layers += [Conv2D(filters, 3, padding="same", activation="relu") for _ in range(depth - 1)]
    layers.append(Conv2D(1, 3, padding="same"))
    return matnn.Sequential(layers, name="inpainting_cnn")


def profile_encoder_decoder(size: int = 64, *, latent: int = 32, width: int = 16):
    """Image ``(size, size, 1)`` → curve of ``size`` points: 2D conv encoder, dense latent, 1D conv decoder.

    Encoder: three (Conv2D + max-pool) stages, flatten, dense ``latent`` units.  Decoder: dense to
    ``size / 8`` steps x ``2 width`` channels, then three (UpSampling1D + Conv1D) stages back to
    ``size`` steps and a 1-channel linear Conv1D, reshaped to ``(size,)``.
    """
    import matnn
    from matnn.layers import Conv1D, Conv2D, Dense, Flatten, MaxPooling2D, Reshape, UpSampling1D

    size = _size(size, "size", 8)
    steps = size // 8
    return matnn.Sequential(
        [
            Conv2D(width, 3, padding="same", activation="relu", input_shape=(size, size, 1)),
            MaxPooling2D(2),
            Conv2D(2 * width, 3, padding="same", activation="relu"),
            MaxPooling2D(2),
            Conv2D(4 * width, 3, padding="same", activation="relu"),
            MaxPooling2D(2),
            Flatten(),
            Dense(latent, activation="relu"),
            Dense(steps * 2 * width, activation="relu"),
            Reshape((steps, 2 * width)),
            UpSampling1D(2),
            Conv1D(2 * width, 3, padding="same", activation="relu"),
            UpSampling1D(2),
            Conv1D(width, 3, padding="same", activation="relu"),
            UpSampling1D(2),
            Conv1D(width, 3, padding="same", activation="relu"),
            Conv1D(1, 3, padding="same"),
            Reshape((size,)),
        ],
        name="profile_encoder_decoder",
    )


def microstructure_autoencoder(size: int = 64, *, latent: int = 16, width: int = 16):
    """Bottleneck autoencoder: binary image ``(size, size, 1)`` → ``latent`` numbers → pore probability map.

    Encoder: three (3 x 3 Conv2D + ReLU, 2 x 2 max-pool) stages with ``width``, ``2 width``, ``2 width``
    channels, flatten, a linear Dense layer named ``'latent'`` (the code). Decoder: Dense back to
    ``(size / 8, size / 8, 2 width)``, three (UpSampling2D + Conv2D + ReLU) stages and a 1-channel
    sigmoid Conv2D, so the output is the probability that each pixel is pore (train with BCE).
    ``model.layer_outputs(x)['latent']`` gives the codes.
    """
    import matnn
    from matnn.layers import Conv2D, Dense, Flatten, MaxPooling2D, Reshape, UpSampling2D

    size = _size(size, "size", 8)
    if not isinstance(latent, int) or latent < 1:
        raise ConfigError(f"'latent' of microstructure_autoencoder must be an int >= 1; got {latent!r}")
    cells = size // 8
    return matnn.Sequential(
        [
            Conv2D(width, 3, padding="same", activation="relu", input_shape=(size, size, 1)),
            MaxPooling2D(2),
            Conv2D(2 * width, 3, padding="same", activation="relu"),
            MaxPooling2D(2),
            Conv2D(2 * width, 3, padding="same", activation="relu"),
            MaxPooling2D(2),
            Flatten(),
            Dense(latent, name="latent"),
            Dense(cells * cells * 2 * width, activation="relu"),
            Reshape((cells, cells, 2 * width)),
            UpSampling2D(2),
            Conv2D(2 * width, 3, padding="same", activation="relu"),
            UpSampling2D(2),
            Conv2D(width, 3, padding="same", activation="relu"),
            UpSampling2D(2),
            Conv2D(width, 3, padding="same", activation="relu"),
            Conv2D(1, 3, padding="same", activation="sigmoid"),
        ],
        name="microstructure_autoencoder",
    )
