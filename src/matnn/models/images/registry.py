"""The image models by name, with their default training recipes (read by the CLI and the workflows)."""

from __future__ import annotations

from matnn.core.registry import ModelRegistry

__all__ = ["IMAGE_MODELS"]

IMAGE_MODELS = ModelRegistry("images")

IMAGE_MODELS.register(
    "lenet",
    "matnn.models.images.lenet:lenet",
    family="digits",
    summary="LeNet-style CNN (two conv-pool stages, dropout) for digits; shift augmentation, Adam with cosine decay",
    source="LeCun et al., Proc. IEEE 86, 2278 (1998), sized for 8x8 or 28x28 digits",
    epochs=30,
    batch_size=64,
    learning_rate=1e-3,
    schedule="cosine",
    augment=True,
)
IMAGE_MODELS.register(
    "lecture",
    "matnn.models.images.lenet:lecture_dropout_cnn",
    family="digits",
    summary="the lecture's dropout CNN (Conv2D 64 → Dropout → Conv2D 32 → Dense softmax), Adam at a constant rate",
    source="the course's Keras example",
    epochs=30,
    batch_size=64,
    learning_rate=1e-3,
    schedule="constant",
    augment=False,
)
IMAGE_MODELS.register(
    "lines-dense",
    "matnn.models.images.lenet:lines_dense",
    family="lines",
    summary="dense network for the lines toy (sees positions, not shapes)",
    epochs=40,
)
IMAGE_MODELS.register(
    "lines-cnn",
    "matnn.models.images.lenet:lines_cnn",
    family="lines",
    summary="small CNN for the lines toy (translation-equivariant filters)",
    epochs=40,
)
